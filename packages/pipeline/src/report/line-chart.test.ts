import { describe, expect, it } from 'vitest';
import { lineChartSvg, ticks } from './line-chart.js';

describe('lineChartSvg', () => {
  it('draws each series with a legend entry and escapes text', () => {
    const svg = lineChartSvg(
      [
        {
          name: 'loss <train>',
          points: [
            [1, 2],
            [2, 1.5],
            [3, 1],
          ],
        },
        {
          name: 'reward',
          points: [
            [1, 0.1],
            [2, 0.4],
          ],
          band: [
            [1, 0, 0.2],
            [2, 0.3, 0.5],
          ],
        },
      ],
      { title: 'a & b', xLabel: 'step', yLabel: 'value' },
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('<polygon');
    expect(svg).toContain('loss &lt;train&gt;');
    expect(svg).toContain('a &amp; b');
  });
  it('handles empty and constant series', () => {
    expect(lineChartSvg([{ name: 'x', points: [] }], { title: 't', xLabel: 'x', yLabel: 'y' })).toContain('</svg>');
    expect(
      lineChartSvg(
        [
          {
            name: 'x',
            points: [
              [1, 1],
              [2, 1],
            ],
          },
        ],
        { title: 't', xLabel: 'x', yLabel: 'y' },
      ),
    ).toContain('<polyline');
  });
  it('ticks are round numbers covering the range', () => {
    expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(3, 47)).toEqual([10, 20, 30, 40]);
  });
});
