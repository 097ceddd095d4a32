/**
 * Every detector measures how far a subject is past its threshold as a ratio r (1 = threshold
 * reached) and reports the score 1 − 0.3/r, so that scores read the same across detectors:
 * 0.7 at the threshold (the default `act_at`), 0.85 at twice it, 0.4 at about half of it (the
 * default `release_below`), 0 at 0.3 of it or less.
 */
export function ratioToScore(ratio: number): number {
  if (!(ratio > 0.3)) return 0;
  return Math.min(1, 1 - 0.3 / ratio);
}

/** The ratio a score corresponds to (inverse of {@link ratioToScore} for scores in (0, 1)). */
export function scoreToRatio(score: number): number {
  return score <= 0 ? 0 : score >= 1 ? Infinity : 0.3 / (1 - score);
}
