import type { GuardRun, RolloutReport, SeriesPoint, VariantReport } from '../../shared/rollout';

/** The report and the guard's answer, as text for a terminal and as one self-contained HTML page. */

const pct = (fraction: number) => `${(fraction * 100).toFixed(1)} %`;
const ms = (value: number | null) => (value === null ? '—' : `≤ ${value} ms`);

/** What `report --json` prints: the issue's shape, plus the interval and a few more numbers. */
export function reportJson(report: RolloutReport): unknown {
  const variant = (r: VariantReport) => ({
    turns: r.turns,
    errors: r.errors,
    error_rate: r.error_rate,
    error_rate_95: [r.error_rate_low, r.error_rate_high],
    ttft_p50_ms: r.ttft_p50_ms,
    ttft_p95_ms: r.ttft_p95_ms,
    duration_p95_ms: r.duration_p95_ms,
    feedback_up: r.feedback_up,
    feedback_down: r.feedback_down,
    fallbacks: r.fallbacks,
    fallback_rate: r.fallback_rate,
    page_loads: r.page_loads,
    chatkit_errors: r.chatkit_errors,
    legacy_stream_errors: r.legacy_stream_errors,
    outcomes: r.outcomes,
  });
  return {
    since: report.since,
    until: report.until,
    variants: { chatkit: variant(report.variants.chatkit), legacy: variant(report.variants.legacy) },
    guard: report.guard,
  };
}

export function reportText(report: RolloutReport, where: string): string[] {
  const { chatkit, legacy } = report.variants;
  const rows: Array<[string, (r: VariantReport) => string]> = [
    ['turns', (r) => String(r.turns)],
    ['errors', (r) => `${r.errors} = ${pct(r.error_rate)} (95 %: ${pct(r.error_rate_low)}–${pct(r.error_rate_high)})`],
    ['  by outcome', (r) => `5xx ${r.outcomes.upstream_error}, timeout ${r.outcomes.timeout}, died ${r.outcomes.stream_error}`],
    ['not judged', (r) => `left ${r.outcomes.aborted}, 4xx ${r.outcomes.client_error}, 429 ${r.outcomes.rate_limited}`],
    ['first token p50', (r) => ms(r.ttft_p50_ms)],
    ['first token p95', (r) => ms(r.ttft_p95_ms)],
    ['turn p95', (r) => ms(r.duration_p95_ms)],
    ['feedback', (r) => `👍 ${r.feedback_up}  👎 ${r.feedback_down}`],
    ['fallbacks', (r) => `${r.fallbacks} of ${r.page_loads} page loads (${pct(r.fallback_rate)})`],
    ['usable input p50', (r) => ms(r.ready_p50_ms)],
  ];
  const lines = [`Rollout report since ${report.since}  [${where}]`, `${''.padEnd(18)}${'chatkit'.padEnd(44)}legacy`];
  for (const [label, cell] of rows) lines.push(`${label.padEnd(18)}${cell(chatkit).padEnd(44)}${cell(legacy)}`);
  lines.push(`guard: ${report.guard.decision.toUpperCase()}: ${report.guard.reason}`);
  return lines;
}

export function guardText(run: GuardRun, where: string): string[] {
  const { numbers: n } = run;
  const verb = run.dry_run ? 'would' : run.acted ? 'did' : 'will';
  return [
    `guard: ${run.decision.toUpperCase()}${run.dry_run ? ' (dry run: nothing written)' : run.acted ? ' (done)' : ''}  [${where}]`,
    `  ${run.reason}`,
    `  window: since ${run.window.since} at ${n.rollout_percent} %`,
    `  chatkit: ${n.chatkit.turns} turns, ${n.chatkit.errors} errors, p95 first token ${ms(n.chatkit.ttft_p95_ms)}, ${n.chatkit.fallbacks} fallbacks / ${n.chatkit.page_loads} loads`,
    `  legacy:  ${n.legacy.turns} turns, ${n.legacy.errors} errors, p95 first token ${ms(n.legacy.ttft_p95_ms)}`,
    `  error difference ${n.error_delta_pp} points (95 %: ${n.error_delta_low_pp}…${n.error_delta_high_pp}); first-token ratio ${n.ttft_ratio ?? '—'}`,
    ...(run.decision === 'hold' ? [] : [`  (${verb} ${run.decision === 'rollback' ? 'set rollback = true' : `move the rollout to ${run.next_percent} %`})`]),
  ];
}

// --- HTML ------------------------------------------------------------------------------------------

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const COLORS = { chatkit: '#2563eb', legacy: '#d97706' } as const;

function lineChart(title: string, series: readonly SeriesPoint[], value: (point: SeriesPoint['chatkit']) => number | null, unit: string): string {
  const width = 720;
  const height = 220;
  const pad = { left: 56, right: 16, top: 28, bottom: 36 };
  const values = series.flatMap((point) => [value(point.chatkit), value(point.legacy)]).filter((x): x is number => x !== null);
  const max = Math.max(unit === '%' ? 5 : 100, ...values) * 1.1;
  const x = (i: number) => pad.left + (series.length <= 1 ? 0 : (i / (series.length - 1)) * (width - pad.left - pad.right));
  const y = (v: number) => pad.top + (1 - v / max) * (height - pad.top - pad.bottom);
  const paths = (['chatkit', 'legacy'] as const).map((variant) => {
    const points = series.map((point, i) => [i, value(point[variant])] as const).filter(([, v]) => v !== null) as Array<readonly [number, number]>;
    const d = points.map(([i, v], n) => `${n === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    const dots = points.map(([i, v]) => `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${COLORS[variant]}"/>`).join('');
    return `<path d="${d}" fill="none" stroke="${COLORS[variant]}" stroke-width="2"/>${dots}`;
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = max * f;
    return `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/><text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end">${unit === '%' ? v.toFixed(1) : Math.round(v)}</text>`;
  });
  const labels = series.length
    ? [0, Math.floor((series.length - 1) / 2), series.length - 1].map(
        (i) => `<text x="${x(i)}" y="${height - 12}" text-anchor="middle">${escapeHtml(series[i]!.t.slice(11, 16))}</text>`,
      )
    : [];
  return `<figure><figcaption>${escapeHtml(title)} (${unit})</figcaption><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}">${ticks.join('')}${labels.join('')}${paths.join('')}</svg></figure>`;
}

export function reportHtml(report: RolloutReport, where: string): string {
  const { chatkit, legacy } = report.variants;
  const row = (label: string, cell: (r: VariantReport) => string) =>
    `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(cell(chatkit))}</td><td>${escapeHtml(cell(legacy))}</td></tr>`;
  const verdictClass = report.guard.decision === 'rollback' ? 'bad' : report.guard.decision === 'advance' ? 'good' : 'hold';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ChatKit rollout report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:32px;color:#111827;max-width:820px}
h1{font-size:20px;margin:0 0 4px}.sub{color:#6b7280;margin:0 0 16px}
table{border-collapse:collapse;margin:16px 0;width:100%}th,td{text-align:left;padding:4px 10px;border-bottom:1px solid #e5e7eb}
thead th{font-weight:600}tbody th{font-weight:400;color:#374151}
.verdict{padding:10px 14px;border-radius:8px;margin:12px 0}.bad{background:#fee2e2}.good{background:#dcfce7}.hold{background:#f3f4f6}
figure{margin:18px 0}figcaption{font-weight:600;margin-bottom:4px}svg{width:100%;height:auto;font-size:11px;fill:#6b7280}
.key span{display:inline-block;margin-right:16px}.key i{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-right:6px}
</style></head><body>
<h1>ChatKit rollout report</h1>
<p class="sub">${escapeHtml(where)} · ${escapeHtml(report.since)} → ${escapeHtml(report.until)}</p>
<div class="verdict ${verdictClass}"><strong>Guard: ${escapeHtml(report.guard.decision)}</strong>: ${escapeHtml(report.guard.reason)}</div>
<table><thead><tr><th></th><th style="color:${COLORS.chatkit}">chatkit</th><th style="color:${COLORS.legacy}">legacy</th></tr></thead><tbody>
${row('turns', (r) => String(r.turns))}
${row('error rate (95 %)', (r) => `${pct(r.error_rate)} (${pct(r.error_rate_low)}–${pct(r.error_rate_high)}), ${r.errors} errors`)}
${row('first token p50 / p95', (r) => `${ms(r.ttft_p50_ms)} / ${ms(r.ttft_p95_ms)}`)}
${row('turn p95', (r) => ms(r.duration_p95_ms))}
${row('feedback up / down', (r) => `${r.feedback_up} / ${r.feedback_down}`)}
${row('browser fallbacks', (r) => `${r.fallbacks} of ${r.page_loads} loads`)}
</tbody></table>
<p class="key"><span><i style="background:${COLORS.chatkit}"></i>chatkit</span><span><i style="background:${COLORS.legacy}"></i>legacy</span></p>
${lineChart('Error rate over time', report.series, (p) => (p.turns === 0 ? null : p.error_rate * 100), '%')}
${lineChart('p95 time to first token over time', report.series, (p) => p.ttft_p95_ms, 'ms')}
</body></html>
`;
}
