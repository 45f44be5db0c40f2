// Jest setupFiles: every spec file of a run shares Node's fetch connection pool. A keep-alive
// connection idle for about the server's keepAliveTimeout (5 s) can be picked just as the server
// closes it ("other side closed", UND_ERR_SOCKET) on a busy machine: such a request never reached
// the service, so it is sent once more. Nothing else is retried here.
const original = globalThis.fetch;

function staleSocket(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code === 'UND_ERR_SOCKET' && /other side closed/.test(cause.message ?? '');
}

globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
  try {
    return await original(input, init);
  } catch (error) {
    if (!staleSocket(error)) throw error;
    return original(input, init);
  }
};
