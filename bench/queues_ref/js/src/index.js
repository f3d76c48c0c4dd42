// The JS reference of bench/queues_dev_bench.py: send-to-consume latency and messages/s.
// State lives in the module: wrangler dev runs the fetch and queue events in one isolate.
const state = { latencies: [], bulk: 0, first: 0, last: 0 };

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const op = url.searchParams.get("op");
    if (op === "latency") {
      await env.LAT.send({ sent: Date.now() });
    } else if (op === "bulk") {
      const n = Number(url.searchParams.get("n") ?? "1000");
      Object.assign(state, { bulk: 0, first: Date.now(), last: 0 });
      for (let i = 0; i < n; i += 100) {
        const size = Math.min(100, n - i);
        await env.BULK.sendBatch(Array.from({ length: size }, (_, j) => ({ body: i + j })));
      }
    } else if (op === "reset") {
      Object.assign(state, { latencies: [], bulk: 0, first: 0, last: 0 });
    }
    return Response.json(state);
  },

  async queue(batch) {
    const now = Date.now(); // workerd's clock at the start of the event
    if (batch.queue === "bench-latency") {
      for (const message of batch.messages) state.latencies.push(now - message.body.sent);
    } else {
      state.bulk += batch.messages.length;
      state.last = now;
    }
  },
};
