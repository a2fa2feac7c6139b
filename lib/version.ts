// The version jim reports; release builds stamp it from the tag.
export const VERSION = "0.1.0";
