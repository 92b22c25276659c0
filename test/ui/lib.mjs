// Helpers for the UI tests: drive the real VS Code workbench (code-server) through Playwright.
// Selectors work on VS Code 1.99 and 1.139 (see ../../../shared/notes/real-vscode-here.md).
// Every wait is on a condition, with generous timeouts: the 2-core CI machine is slow.

export const TIMEOUT = {
  workbench: 90000, // page load to a usable workbench
  extension: 90000, // the extension host starts and the extension contributes its UI
  ui: 30000, // a palette, a quick pick, an editor
};

/** The activity-bar entry of a view container, by its title. */
export function activityIcon(page, title) {
  return page.locator(`.activitybar a.action-label[aria-label="${title}"]`);
}

/** Shows a view container in the side bar (clicking its icon when it is already shown would hide it). */
export async function openViewContainer(page, title, { timeout = TIMEOUT.extension } = {}) {
  const icon = activityIcon(page, title);
  await icon.waitFor({ timeout });
  const item = page.locator('.activitybar li.action-item', { has: page.locator(`a.action-label[aria-label="${title}"]`) });
  if (!((await item.getAttribute('class')) ?? '').split(/\s+/).includes('checked')) await icon.click();
  await page.locator('.activitybar li.action-item.checked', { has: page.locator(`a.action-label[aria-label="${title}"]`) })
    .waitFor({ timeout: TIMEOUT.ui });
}

/** Waits until the element's text (non-breaking spaces as spaces) contains `text`. */
export async function waitForText(locator, text, { timeout = TIMEOUT.ui } = {}) {
  let last = '';
  const ok = await waitUntil(async () => {
    last = (await locator.first().textContent({ timeout: 1000 }).catch(() => '') ?? '').replace(/\u00a0/g, ' ');
    return last.includes(text);
  }, timeout);
  if (!ok) throw new Error(`expected the text to contain "${text}", it reads: "${last.slice(0, 300)}"`);
}

/** Makes the side bar wider by dragging its sash (for readable descriptions in screenshots). */
export async function widenSideBar(page, width = 480) {
  const sidebar = await page.locator('.part.sidebar').boundingBox();
  if (!sidebar || sidebar.width >= width) return;
  const x = sidebar.x + sidebar.width + 1;
  const y = sidebar.y + sidebar.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + (width - sidebar.width), y, { steps: 5 });
  await page.mouse.up();
  // Leave the sash so it loses its hover highlight (it would show in screenshots).
  await page.mouse.move(x + (width - sidebar.width) + 200, y);
  await page.locator('.monaco-sash.hover, .monaco-sash.active').first().waitFor({ state: 'detached', timeout: TIMEOUT.ui })
    .catch(() => {});
}

/** Rows of the tree views of the side bar. */
export function treeRows(page) {
  return page.locator('.part.sidebar .pane-body .monaco-list-row');
}

/** The side-bar tree row whose label is exactly `label`. */
export function treeRow(page, label) {
  return treeRows(page).filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
}

export function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Text of an element with the non-breaking spaces VS Code renders turned into spaces. */
export async function textOf(locator) {
  return (await locator.textContent() ?? '').replace(/\u00a0/g, ' ');
}

/** Opens the command palette (F1), types the command's full title and runs it. */
export async function runCommand(page, title, { timeout = TIMEOUT.ui } = {}) {
  const input = await openQuickInput(page, `>${title}`, { timeout });
  const row = page.locator('.quick-input-widget .monaco-list-row', {
    has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }),
  }).first();
  await row.waitFor({ timeout });
  // Enter runs the focused row: make sure it is ours (the palette may list recent commands first).
  await row.click();
  // Done when the palette closed, or when the command replaced it with its own quick input.
  await waitUntil(async () => !(await input.isVisible()) || !(await input.inputValue({ timeout: 500 })).startsWith('>'), timeout);
}

/**
 * Runs a command that asks with a quick input of its own, and types `text` into it; returns the
 * input box. A pick shown while the editor gives the focus back to a webview (the timeline) can
 * close again at once, or stay inert while it does (the palette too): then the command is run
 * again after an Escape (3 tries).
 */
export async function runCommandAndType(page, title, text, { timeout = TIMEOUT.ui } = {}) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (let attempt = 1; ; attempt++) {
    const budget = attempt < 3 ? timeout / 4 : timeout;
    try {
      // The palette itself can be the inert one (CI, 2026-12-03): it is retried too.
      await runCommand(page, title, { timeout: budget });
      await input.fill(text, { timeout: budget });
      if ((await input.inputValue({ timeout: 1000 })) === text) return input;
      throw new Error(`the quick input of "${title}" did not take the text "${text}"`);
    } catch (e) {
      if (attempt === 3) throw e;
      await page.keyboard.press('Escape').catch(() => {});
    }
  }
}

/**
 * Runs a few steps of quick-input work, and once more from the start if they time out: in the
 * web workbench a quick pick can turn inert or close when the focus goes back to a webview
 * behind it. `steps(timeout)`: a third of the usual timeout the first time, all of it the second.
 */
export async function retryOnce(page, steps) {
  try {
    return await steps(TIMEOUT.ui / 3);
  } catch {
    await page.keyboard.press('Escape').catch(() => {});
    return steps(TIMEOUT.ui);
  }
}

/** Opens the quick input with F1 and types `text`; returns the input box. */
export async function openQuickInput(page, text, { timeout = TIMEOUT.ui } = {}) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.keyboard.press('Escape').catch(() => {});
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: attempt < 2 ? timeout / 3 : timeout });
      break;
    } catch (e) {
      if (attempt === 2) throw e;
      // F1 went nowhere (focus outside the workbench): click an empty spot of the status bar.
      await page.locator('.part.statusbar').click({ position: { x: 5, y: 5 } }).catch(() => {});
    }
  }
  await input.fill(text);
  return input;
}

/** Rows of the open quick pick (after a command asked for a choice). */
export function quickPickRows(page) {
  return page.locator('.quick-input-widget .monaco-list-row');
}

/** Opens the notification center (toasts are hidden by the smoke-test driver flag). */
export async function showNotifications(page) {
  await runCommand(page, 'Notifications: Show Notifications');
  await page.locator('.notifications-center').waitFor({ state: 'visible', timeout: TIMEOUT.ui });
  return page.locator('.notifications-center .notification-list-item');
}

/** The active editor's tab and its rendered lines. */
export function activeEditor(page) {
  return {
    tab: page.locator('.editor-group-container.active .tabs-container .tab.active'),
    lines: page.locator('.editor-group-container.active .monaco-editor .view-lines'),
  };
}

/**
 * Searches the active editor with its find widget (Ctrl+F), which searches the whole document,
 * not just the lines on screen. Returns the widget's count text, e.g. "1 of 3", or "No results"
 * when nothing matched within `settleMs`.
 */
export async function findInActiveEditor(page, text, { timeout = TIMEOUT.ui, settleMs = 4000 } = {}) {
  const editor = page.locator('.editor-group-container.active .monaco-editor').first();
  const widget = page.locator('.editor-group-container.active .find-widget.visible');
  if (!(await widget.isVisible().catch(() => false))) {
    // A hover (e.g. the tab's path, when the editor opened under the mouse) covers the editor's
    // top-left corner on 1.99: move away from it and click the middle of the text instead.
    await dismissHovers(page);
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+f');
    await widget.waitFor({ state: 'visible', timeout });
  }
  const input = widget.locator('.find-part textarea, .find-part input').first();
  const count = widget.locator('.matchesCount');
  const countText = async () => ((await count.textContent().catch(() => '')) ?? '').trim();
  // Start from a search that matches nothing, so a stale count of the previous search is never read.
  await input.fill(`nothing-matches-${Date.now()}-${Math.random()}`);
  await waitUntil(async () => /No results/i.test(await countText()), timeout);
  await input.fill(text);
  const found = await waitUntil(async () => /\d+ of \d+/.test(await countText()), settleMs);
  return found ? countText() : 'No results';
}

/** Parks the mouse on the status bar and waits (briefly, not failing) for open hovers to close. */
export async function dismissHovers(page) {
  const size = page.viewportSize();
  if (size) await page.mouse.move(size.width / 2, size.height - 8);
  await page.locator('.workbench-hover-container, .monaco-hover:not(.hidden)').filter({ visible: true }).first()
    .waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
}

/** Closes the active editor's find widget (if open) and moves the cursor to the top. */
export async function closeFindWidget(page) {
  const widget = page.locator('.editor-group-container.active .find-widget.visible');
  if (await widget.isVisible().catch(() => false)) {
    await widget.locator('.find-part textarea, .find-part input').first().press('Escape');
    // It slides up out of the editor: wait for the end of that, not just the class change.
    await page.waitForFunction(() => {
      const el = document.querySelector('.editor-group-container.active .find-widget');
      const editor = el?.closest('.monaco-editor');
      return !el || !editor || el.getBoundingClientRect().bottom <= editor.getBoundingClientRect().top + 1;
    }, null, { timeout: TIMEOUT.ui });
  }
  await page.keyboard.press('Control+Home');
}

/** Polls `probe` every 100 ms until it is truthy (true) or `ms` passed (false). */
export async function waitUntil(probe, ms) {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
