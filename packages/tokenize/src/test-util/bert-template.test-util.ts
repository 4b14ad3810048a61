/** A template piece: a special token or a text, with its type id. */
export const piece = (kind: 'SpecialToken' | 'Sequence', id: string, type_id = 0) => ({ [kind]: { id, type_id } });
const specialToken = ([token, id]: [string, number]) => ({ id: token, ids: [id], tokens: [token] });

/** BERT's layout written as a TemplateProcessing: `cls $A sep` and `cls $A sep $B:1 sep:1`. */
export const bertLikeTemplate = (cls: [string, number], sep: [string, number]) => ({
  type: 'TemplateProcessing',
  single: [piece('SpecialToken', cls[0]), piece('Sequence', 'A'), piece('SpecialToken', sep[0])],
  pair: [
    piece('SpecialToken', cls[0]),
    piece('Sequence', 'A'),
    piece('SpecialToken', sep[0]),
    piece('Sequence', 'B', 1),
    piece('SpecialToken', sep[0], 1),
  ],
  special_tokens: { [cls[0]]: specialToken(cls), [sep[0]]: specialToken(sep) },
});
