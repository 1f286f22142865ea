export const ID: Record<string, string> = {};
