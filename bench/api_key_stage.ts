// The stage for the start-up and memory sections: the JIM simulator on 127.0.0.1, a throwaway
// jim environment, and a session agent connected with an API key (sent on stdin).

import { DEMO_API_KEY, type JimServer, startJimServer } from "../fixtures/jim_server.ts";
import { JimEnv } from "../tests/helpers/run_jim.ts";
import { AgentTracker, residentKiB, trackEnv } from "./agent.ts";
import { onCleanup } from "./cleanup.ts";

export interface ApiKeyStage {
  server: JimServer;
  env: JimEnv;
  agents: AgentTracker;
  /** The environment of a stateless command: JIM_URL and JIM_API_KEY set, no agent used. */
  statelessVars: Record<string, string>;
  /** The agent's pid after connect. */
  agentPid: number;
  /** The agent's VmRSS (KiB) right after connect, before any benchmark traffic. */
  agentRssAfterConnect: number;
  stop(): Promise<void>;
}

export async function startApiKeyStage(): Promise<ApiKeyStage> {
  const server = await startJimServer({ apiKeys: [{ key: DEMO_API_KEY, name: "bench" }] });
  const stopServer = onCleanup("JIM simulator", () => server.close());
  const env = await JimEnv.create();
  const agents = new AgentTracker(env);
  const stopEnv = trackEnv(env, agents);
  const stop = async () => {
    await stopEnv();
    await stopServer();
  };
  try {
    const connect = await env.run(["connect", server.url, "--api-key-stdin"], {
      stdin: DEMO_API_KEY,
    });
    if (connect.code !== 0) {
      throw new Error(`jim connect failed (exit ${connect.code}): ${connect.stderr.trim()}`);
    }
    const agentPid = await agents.pid();
    // Stateless runs get a runtime dir with no agent socket in it, as on a CI runner.
    const statelessRuntime = `${env.dir}/run-stateless`;
    await Deno.mkdir(statelessRuntime, { mode: 0o700 });
    return {
      server,
      env,
      agents,
      statelessVars: {
        ...env.vars,
        XDG_RUNTIME_DIR: statelessRuntime,
        JIM_URL: server.url,
        JIM_API_KEY: DEMO_API_KEY,
      },
      agentPid,
      agentRssAfterConnect: residentKiB(agentPid),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
