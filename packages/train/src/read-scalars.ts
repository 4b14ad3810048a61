/** Many scalar tensors to numbers with one device read (each await of a read is a pipeline stall on a GPU). */
import { concat, reshape, tidy, type Tensor } from '@molrl/tensor';

/** The values of scalar (one-element) tensors, in order; the tensors stay alive. */
export async function readScalars(tensors: readonly Tensor[]): Promise<number[]> {
  if (!tensors.length) return [];
  tensors.forEach((t, i) => {
    if (t.size !== 1) throw new Error(`readScalars: tensor ${i} has shape [${t.shape.join(', ')}], not one element`);
  });
  const packed = tidy(() =>
    concat(
      tensors.map((t) => reshape(t, [1])),
      0,
    ),
  );
  try {
    return Array.from(await packed.data());
  } finally {
    packed.dispose();
  }
}
