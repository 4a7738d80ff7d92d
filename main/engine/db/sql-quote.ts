// SQL quoting for the few statements Lifeboat builds from names (identifiers) and values (literals);
// everything else goes through query parameters.
export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
export const quoteLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;
