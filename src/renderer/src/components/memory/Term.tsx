import { useId } from 'react';

/**
 * A technical word with its meaning on hover and on keyboard focus (a tooltip the label is
 * described by), for the Storage view's terms: tiers, hits, compression.
 */
export function Term({ label, explain }: { label: string; explain: string }) {
  const id = useId();
  return (
    <span className="term">
      <span className="term-label" tabIndex={0} aria-describedby={id}>
        {label}
      </span>
      <span role="tooltip" id={id} className="term-tip">
        {explain}
      </span>
    </span>
  );
}
