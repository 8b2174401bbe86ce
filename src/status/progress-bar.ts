/** The progress bar status draws toward a threshold. */
const BAR_WIDTH = 20;

export function renderProgressBar(progress: number, width = BAR_WIDTH): string {
  const clamped = Math.min(1, Math.max(0, progress));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(clamped * 100)}%`;
}
