/** A plain JSON value: what crosses every bridge. No undefined, Dates or Buffers. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The camelCase property bag of a resource or function, as schema.json names its properties. */
export type PropertyBag = { [key: string]: JsonValue };
