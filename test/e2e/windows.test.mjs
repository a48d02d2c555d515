// A second window on the same workspace shares the first window's tracking server instead of opening a
// second writer on the store.
import assert from 'node:assert/strict';
import * as h from './harness.mjs';

const wb = h.useWorkbench({ name: 'windows' });

wb.test('a second window reuses the running server instead of starting its own', async ({ page, server, browser }) => {
  // The activity bar item appears once the extension's contributions are loaded: then its commands are too.
  await h.openViewContainer(page, 'Runboard');
  await h.runCommand(page, 'Runboard: Show Server Log');
  await h.expectPoll(async () => /Tracking server ready at (http:\/\/127\.0\.0\.1:\d+)/.test(await h.outputText(page)), {
    timeout: 60000, what: 'the first window serves the store',
  });
  const firstUrl = /Tracking server ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(await h.outputText(page))[1];

  const second = await browser.context.newPage();
  try {
    await second.goto(server.openUrl);
    await h.waitForWorkbench(second);
    // Wait for the extension's contributions without clicking: the restored layout may already show them.
    await h.activityBarItem(second, 'Runboard').waitFor({ state: 'visible', timeout: 60000 });
    await h.runCommand(second, 'Runboard: Show Server Log');
    await h.expectPoll(async () => (await h.outputText(second)).includes(`Reusing the tracking server another window runs on this store: ${firstUrl}`), {
      timeout: 60000, what: 'the second window reuses the first window\'s server', detail: () => h.outputText(second),
    });
    assert.ok(!(await h.outputText(second)).includes('Starting the tracking server'), 'the second window starts no server of its own');
    await second.screenshot({ path: `${h.RESULTS_DIR}/windows-second.png` });
  } finally {
    await second.close();
  }
});
