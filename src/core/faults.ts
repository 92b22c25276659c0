// Test seam for failures that cannot be produced on demand (a full disk, a read-only mount as
// root): when set, `beforeWrite` runs before every journal append and snapshot write and may
// throw an errno-style error. Nothing sets it outside tests.
export const faults: { beforeWrite?: (file: string) => void } = {};
