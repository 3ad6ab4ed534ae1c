// Download progress — a redrawn bar on a terminal, plain lines otherwise.

import type { DownloadProgress } from '../repository/download.js';

function mb(n: number): string {
  return (n / 1e6).toFixed(1);
}

/** A progress reporter on stderr: a bar when it is a TTY, one line per fetched package when not. */
export function downloadProgress(stream: NodeJS.WriteStream = process.stderr): DownloadProgress {
  const tty = stream.isTTY === true;
  return ({ done, total, bytes, totalBytes, item, cached }) => {
    if (tty) {
      const width = 30;
      const filled = Math.round((bytes / Math.max(1, totalBytes)) * width);
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${mb(bytes)}/${mb(totalBytes)} MB`);
      if (done === total) stream.write('\n');
    } else if (!cached) {
      stream.write(`get ${done}/${total} ${item.package} ${item.version} (${mb(item.size)} MB)\n`);
    }
  };
}
