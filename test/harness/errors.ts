// The message of the error a promise rejects with; throws when it resolves instead.
export async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
