import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterReply, type CallHandler, type HandlerContext } from './handler-context.js';
import { httpDownload, httpPut } from './http-transfer.js';

function notify(ctx: HandlerContext, action: 'DiagnosticsStatusNotification' | 'FirmwareStatusNotification', status: string): Promise<void> {
  (action === 'DiagnosticsStatusNotification' ? ctx.diagnosticsStatus : ctx.firmwareStatus).value = status;
  return ctx.session
    .send(action, { status })
    .then(() => undefined)
    .catch((err: unknown) => ctx.log.warn({ action, status, err: err instanceof Error ? err.message : String(err) }, 'status notification not sent'));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * GetDiagnostics: writes a diagnostics file (configuration, state, queue) into dataDir and, for
 * an http(s) location, uploads it with HTTP PUT (to location + fileName when the location ends
 * with "/"), reporting Uploading, then Uploaded or UploadFailed. FTP is not supported: UploadFailed.
 */
export const getDiagnostics: CallHandler<'GetDiagnostics'> = ({ location, retries, retryInterval }, ctx) => {
  const stamp = ctx.clock.iso().replace(/[:.]/g, '-');
  const fileName = `diagnostics-${ctx.identity}-${stamp}.json`;
  const dir = join(ctx.dataDir, 'diagnostics');
  mkdirSync(dir, { recursive: true });
  const body = JSON.stringify(ctx.diagnostics(), null, 1);
  writeFileSync(join(dir, fileName), body);
  afterReply(async () => {
    const url = String(location);
    if (!/^https?:\/\//i.test(url)) {
      ctx.log.warn({ location: url }, 'diagnostics upload: only http(s) locations are supported');
      await notify(ctx, 'DiagnosticsStatusNotification', 'UploadFailed');
      return;
    }
    await notify(ctx, 'DiagnosticsStatusNotification', 'Uploading');
    const target = url.endsWith('/') ? url + fileName : url;
    const attempts = 1 + Math.max(0, Number(retries ?? 0));
    for (let i = 0; i < attempts; i++) {
      try {
        const status = await httpPut(target, body, 'application/json', 30_000);
        if (status >= 200 && status < 300) {
          await notify(ctx, 'DiagnosticsStatusNotification', 'Uploaded');
          return;
        }
        ctx.log.warn({ status, target }, 'diagnostics upload refused');
      } catch (err) {
        ctx.log.warn({ err: String((err as Error)?.message ?? err), target }, 'diagnostics upload failed');
      }
      if (i + 1 < attempts) await sleep(Math.max(0, Number(retryInterval ?? 5)) * 1000);
    }
    await notify(ctx, 'DiagnosticsStatusNotification', 'UploadFailed');
  });
  return { fileName };
};

/**
 * UpdateFirmware: at retrieveDate downloads the image with HTTP GET into dataDir/firmware
 * (Downloading → Downloaded or DownloadFailed), then simulates the install (Installing →
 * Installed). Flashing a real image is left to the device's OS tooling.
 */
export const updateFirmware: CallHandler<'UpdateFirmware'> = ({ location, retrieveDate, retries, retryInterval }, ctx) => {
  const delay = Math.max(0, Date.parse(retrieveDate) - ctx.clock.now());
  setTimeout(() => {
    void (async () => {
      const url = String(location);
      await notify(ctx, 'FirmwareStatusNotification', 'Downloading');
      const attempts = 1 + Math.max(0, Number(retries ?? 0));
      for (let i = 0; i < attempts; i++) {
        try {
          if (!/^https?:\/\//i.test(url)) throw new Error('only http(s) firmware locations are supported');
          const dir = join(ctx.dataDir, 'firmware');
          mkdirSync(dir, { recursive: true });
          await httpDownload(url, join(dir, basename(new URL(url).pathname) || 'firmware.bin'), 120_000);
          await notify(ctx, 'FirmwareStatusNotification', 'Downloaded');
          await notify(ctx, 'FirmwareStatusNotification', 'Installing');
          await notify(ctx, 'FirmwareStatusNotification', 'Installed');
          ctx.security.report('FirmwareUpdated', `firmware from ${url} installed`);
          ctx.firmwareStatus.value = 'Idle';
          return;
        } catch (err) {
          ctx.log.warn({ err: String((err as Error)?.message ?? err), url }, 'firmware download failed');
          if (i + 1 < attempts) await sleep(Math.max(0, Number(retryInterval ?? 5)) * 1000);
        }
      }
      await notify(ctx, 'FirmwareStatusNotification', 'DownloadFailed');
      ctx.firmwareStatus.value = 'Idle';
    })();
  }, Math.min(delay, 2 ** 31 - 1));
  return {};
};
