/** One line of a chart: its name (in the legend) and its values, oldest first. */
export interface Series {
  name: string;
  values: number[];
  /** A CSS class giving the line its colour (`series-a`, `series-b`). */
  className: string;
}

const WIDTH = 320;
const HEIGHT = 140;
const LEFT = 48;
const BOTTOM = 30;
const TOP = 10;
const RIGHT = 8;

/**
 * A small line chart with labelled axes: the y axis names its unit and shows 0 and the largest
 * value, the x axis names what it counts and shows its ends. `summary` is what a screen reader
 * hears instead of the picture.
 */
export function LineChart(props: {
  title: string;
  summary: string;
  yLabel: string;
  xLabel: string;
  /** The x axis's two ends ("5 phút trước", "bây giờ"). */
  xEnds: [string, string];
  series: Series[];
  formatY: (value: number) => string;
  testId?: string;
}) {
  const { title, summary, yLabel, xLabel, xEnds, series, formatY, testId } = props;
  const count = Math.max(0, ...series.map((line) => line.values.length));
  const max = Math.max(1, ...series.flatMap((line) => line.values));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const x = (index: number) => LEFT + (count > 1 ? (index / (count - 1)) * plotWidth : plotWidth);
  const y = (value: number) => TOP + plotHeight - (value / max) * plotHeight;
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}: ${summary}`}>
        <line className="axis" x1={LEFT} y1={TOP} x2={LEFT} y2={TOP + plotHeight} />
        <line className="axis" x1={LEFT} y1={TOP + plotHeight} x2={LEFT + plotWidth} y2={TOP + plotHeight} />
        <text className="tick" x={LEFT - 4} y={TOP + 4} textAnchor="end">
          {formatY(max)}
        </text>
        <text className="tick" x={LEFT - 4} y={TOP + plotHeight} textAnchor="end">
          {formatY(0)}
        </text>
        <text className="axis-label" x={12} y={TOP + plotHeight / 2} transform={`rotate(-90 12 ${TOP + plotHeight / 2})`} textAnchor="middle">
          {yLabel}
        </text>
        <text className="tick" x={LEFT} y={HEIGHT - 16} textAnchor="start">
          {xEnds[0]}
        </text>
        <text className="tick" x={LEFT + plotWidth} y={HEIGHT - 16} textAnchor="end">
          {xEnds[1]}
        </text>
        <text className="axis-label" x={LEFT + plotWidth / 2} y={HEIGHT - 2} textAnchor="middle">
          {xLabel}
        </text>
        {series.map((line) =>
          line.values.length > 1 ? (
            <polyline
              key={line.name}
              className={`series ${line.className}`}
              points={line.values.map((value, index) => `${x(index)},${y(value)}`).join(' ')}
              fill="none"
            />
          ) : null,
        )}
      </svg>
      {series.length > 1 && (
        <ul className="legend">
          {series.map((line) => (
            <li key={line.name}>
              <span className={`swatch ${line.className}`} aria-hidden="true" /> {line.name}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
