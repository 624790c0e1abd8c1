/** A problem with one input property, found without calling the API. */
export interface CheckFailure {
  /** Property path in camelCase schema spelling, e.g. `files[1].source`. */
  property: string;
  /** What rule the value breaks, written for the user. */
  reason: string;
}
