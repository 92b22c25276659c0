// The machine the figures come from: they mean little without it.
import { readFileSync, realpathSync } from 'node:fs';
import * as os from 'node:os';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGB: number;
  node: string;
  platform: string;
  tmpdir: string;
  /** File system of the temp folder (e.g. ext4, tmpfs), from /proc/mounts where there is one. */
  tmpdirFileSystem: string;
  tmpdirDevice: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  loadAverage: number;
}

function mountOf(dir: string): { fs: string; device: string } {
  try {
    const real = realpathSync(dir);
    let best = { mountPoint: '', fs: 'unknown', device: 'unknown' };
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [device, mountPoint, fsType] = line.split(' ');
      if (!mountPoint) continue;
      const point = mountPoint.replace(/\\040/g, ' ');
      const inside = real === point || real.startsWith(point.endsWith('/') ? point : `${point}/`);
      if (inside && point.length >= best.mountPoint.length) best = { mountPoint: point, fs: fsType, device };
    }
    return { fs: best.fs, device: best.device };
  } catch {
    return { fs: 'unknown', device: 'unknown' };
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const tmpdir = os.tmpdir();
  const mount = mountOf(tmpdir);
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    tmpdir,
    tmpdirFileSystem: mount.fs,
    tmpdirDevice: mount.device,
    loadAverage: Number(os.loadavg()[0].toFixed(2)),
  };
}
