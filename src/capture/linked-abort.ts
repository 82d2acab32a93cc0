/**
 * A stop signal of one's own that also follows a parent's (Ctrl-C, the end of the run) and,
 * optionally, a deadline (--duration). `dispose` unhooks it from the parent when its work is done.
 */
export interface LinkedAbort {
  readonly controller: AbortController;
  readonly signal: AbortSignal;
  dispose(): void;
}

export function linkedAbort(parent: AbortSignal, afterMs?: number): LinkedAbort {
  const controller = new AbortController();
  const follow = () => controller.abort(parent.reason);
  if (parent.aborted) follow();
  else parent.addEventListener('abort', follow, { once: true });
  const timer =
    afterMs === undefined
      ? undefined
      : setTimeout(() => controller.abort(new Error('duration reached')), afterMs);
  return {
    controller,
    signal: controller.signal,
    dispose: () => {
      if (timer) clearTimeout(timer);
      parent.removeEventListener('abort', follow);
    },
  };
}
