// The JS reference of bench/do_bench.py: N Durable Object RPC calls from the Worker.
import { DurableObject } from "cloudflare:workers";

export class Counter extends DurableObject {
  async ping() {
    return 1;
  }

  async increment() {
    const value = ((await this.ctx.storage.get("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", value);
    return value;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? "100");
    const op = url.searchParams.get("op") ?? "ping";
    const stub = env.COUNTER.getByName(url.searchParams.get("name") ?? "bench");
    const start = Date.now(); // workerd moves Date.now() on I/O: each call is I/O
    if (url.searchParams.get("concurrent") === "1") {
      await Promise.all(Array.from({ length: n }, () => stub[op]()));
    } else {
      for (let i = 0; i < n; i++) await stub[op]();
    }
    return Response.json({ elapsed_ms: Date.now() - start });
  },
};
