// Spawns a throwaway Redis Cluster on loopback: `masters` redis-servers with --cluster-enabled on
// free ports (each with its own free bus port), optionally one replica per master, joined with
// `redis-cli --cluster create … --cluster-yes`. Resolves once every node says cluster_state:ok,
// every node knows every other and every replica is in sync, so a test can start writing at once.
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { findRedisServer, freePort, type RedisServerHandle, startRedisServer } from './redis-server.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;

export const CLUSTER_UNSUPPORTED =
  'the Redis Cluster tests need redis-server and redis-cli 7.0 or later (cluster mode, cluster-port, ' +
  '`redis-cli --cluster create`): install them (Debian/Ubuntu: apt-get install -y redis-server redis-tools; ' +
  'macOS: brew install redis)';

export interface ClusterNode {
  readonly port: number;
  /** CLUSTER NODES id. */
  readonly id: string;
  readonly role: 'master' | 'replica';
  /** A replica's master id. */
  readonly masterId?: string;
  /** A master's slot count. */
  readonly slots: number;
  /** A master's slot ranges, inclusive. */
  readonly ranges: readonly [number, number][];
}

export interface RedisClusterHandle {
  /** `redis+cluster://127.0.0.1:A,127.0.0.1:B,…` naming every node, the URL users pass to the CLIs. */
  readonly url: string;
  /** `redis://127.0.0.1:A`: one seed node, for `--cluster` with a plain URL. */
  readonly seedUrl: string;
  /** Every node's port, masters first as created. */
  readonly ports: readonly number[];
  /** The cluster's nodes as one live node sees them now. */
  nodes(): Promise<ClusterNode[]>;
  /** The master that serves `slot` now. */
  masterOf(slot: number): Promise<ClusterNode>;
  /** Keys per master (DBSIZE), by port. */
  keysPerMaster(): Promise<Map<number, number>>;
  /** A plain client on one node (for DBSIZE, CLUSTER …); closed by stop(). */
  node(port: number): Redis;
  /**
   * Fails the master on `masterPort` over to its replica and waits until every live node agrees;
   * returns the new master's port. 'manual': CLUSTER FAILOVER on the replica (coordinated: it
   * catches up first). 'kill': SIGKILL the master, as a crash would; the replica takes over once
   * the others have marked it failed (cluster-node-timeout).
   */
  failover(masterPort: number, how?: 'manual' | 'kill'): Promise<number>;
  /** Kills every node and removes their directories. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function run(bin: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (err) => resolve({ code: null, output: err.message }));
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** Parses CLUSTER NODES (one line per node: id addr flags master ping pong epoch state slots…). */
export function parseClusterNodes(text: string): ClusterNode[] {
  const out: ClusterNode[] = [];
  for (const line of text.trim().split('\n')) {
    const [id, addr, flags, master, , , , state, ...ranges] = line.trim().split(' ');
    if (!id || !addr || !flags || state !== 'connected' || flags.includes('fail')) continue;
    const port = Number(/:(\d+)@/.exec(addr)?.[1]);
    let slots = 0;
    const owned: [number, number][] = [];
    for (const r of ranges) {
      if (r.startsWith('[')) continue; // a slot being migrated
      const [a = 0, b = a] = r.split('-').map(Number);
      owned.push([a, b]);
      slots += b - a + 1;
    }
    const role = flags.includes('master') ? 'master' : 'replica';
    out.push({
      port,
      id,
      role,
      slots,
      ranges: owned,
      ...(role === 'replica' && master ? { masterId: master } : {}),
    });
  }
  return out;
}

/** Undefined when every node is ok, knows every node, sees every role as created and replicas are in sync. */
async function clusterReady(clients: readonly Redis[], masters: number): Promise<string | undefined> {
  for (const c of clients) {
    const info = await c.cluster('INFO');
    const state = /cluster_state:(\w+)/.exec(info)?.[1];
    if (state !== 'ok') return `cluster_state on ${c.options.port}: ${state}`;
    const known = parseClusterNodes((await c.cluster('NODES')) as string);
    const withSlots = known.filter((n) => n.role === 'master' && n.slots > 0).length;
    const replicas = known.filter((n) => n.role === 'replica').length;
    if (known.length !== clients.length || withSlots !== masters || replicas !== clients.length - masters)
      return `node ${c.options.port} sees ${withSlots} master(s) with slots and ${replicas} replica(s) of ${known.length} node(s)`;
    const repl = await c.info('replication');
    if (/role:slave/.test(repl) && !/master_link_status:up/.test(repl))
      return `replica ${c.options.port} not in sync yet`;
  }
  return undefined;
}

export async function startRedisCluster(
  opts: { masters?: number; replicas?: 0 | 1; nodeTimeoutMs?: number } = {},
): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicas ?? 0;
  if (!findRedisServer()) throw new Error(`redis-server not on PATH: ${CLUSTER_UNSUPPORTED}`);
  const version = await run('redis-cli', ['--version']);
  const major = Number(/redis-cli (\d+)\./.exec(version.output)?.[1]);
  if (version.code !== 0 || !(major >= 7))
    throw new Error(`redis-cli: ${version.output.trim() || 'not found'}; ${CLUSTER_UNSUPPORTED}`);

  const servers: RedisServerHandle[] = [];
  const clients = new Map<number, Redis>();
  const dead = new Set<number>();
  const liveClients = () => [...clients].filter(([port]) => !dead.has(port)).map(([, c]) => c);
  const stop = async () => {
    for (const c of clients.values()) c.disconnect();
    clients.clear();
    await Promise.all(servers.map((s) => s.kill()));
  };
  try {
    const count = masters * (1 + replicas);
    const started = await Promise.allSettled(
      Array.from({ length: count }, () =>
        startRedisServer({
          extraArgs: async () => [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-port',
            String(await freePort()),
            '--cluster-node-timeout',
            String(opts.nodeTimeoutMs ?? 5000),
            // A replica's first sync would otherwise wait 5 s for more replicas to join it.
            '--repl-diskless-sync-delay',
            '0',
          ],
        }),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      const reason = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
      throw new Error(
        `a cluster node did not start (${reason.split('\n').slice(0, 3).join(' ')}); ${CLUSTER_UNSUPPORTED}`,
      );
    }
    const ports = servers.map((s) => s.port);
    for (const port of ports) {
      const c = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 1 });
      c.on('error', () => {}); // a killed node's client: the test asks the others
      clients.set(port, c);
    }

    const create = await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `${HOST}:${p}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    if (create.code !== 0 || !/All 16384 slots covered/.test(create.output))
      throw new Error(
        `redis-cli --cluster create failed: ${create.output.trim().split('\n').slice(-5).join(' | ')}`,
      );

    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (let why = await clusterReady([...clients.values()], masters); why; ) {
      if (Date.now() > deadline)
        throw new Error(`the cluster did not become ready in ${READY_TIMEOUT_MS} ms: ${why}`);
      await sleep(50);
      why = await clusterReady([...clients.values()], masters);
    }

    const nodes = async (): Promise<ClusterNode[]> => {
      for (const c of liveClients()) {
        try {
          return parseClusterNodes((await c.cluster('NODES')) as string);
        } catch {
          // that node is down: ask the next
        }
      }
      throw new Error('no cluster node answers');
    };
    const handle: RedisClusterHandle = {
      url: `redis+cluster://${ports.map((p) => `${HOST}:${p}`).join(',')}`,
      seedUrl: `redis://${HOST}:${ports[0]}`,
      ports,
      nodes,
      node(port) {
        const c = dead.has(port) ? undefined : clients.get(port);
        if (!c) throw new Error(`no cluster node on port ${port}`);
        return c;
      },
      async masterOf(slot) {
        const owner = (await nodes()).find(
          (n) => n.role === 'master' && n.ranges.some(([a, b]) => slot >= a && slot <= b),
        );
        if (!owner) throw new Error(`no master serves slot ${slot}`);
        return owner;
      },
      async keysPerMaster() {
        const out = new Map<number, number>();
        for (const n of await nodes())
          if (n.role === 'master') out.set(n.port, await handle.node(n.port).dbsize());
        return out;
      },
      async failover(masterPort, how = 'manual') {
        const all = await nodes();
        const master = all.find((n) => n.port === masterPort && n.role === 'master');
        const replica = all.find((n) => n.masterId === master?.id);
        if (!master || !replica) throw new Error(`no master with a replica on port ${masterPort}`);
        if (how === 'manual') await handle.node(replica.port).cluster('FAILOVER');
        else {
          dead.add(masterPort);
          clients.get(masterPort)?.disconnect();
          await servers.find((s) => s.port === masterPort)?.kill();
        }
        const until = Date.now() + READY_TIMEOUT_MS;
        for (;;) {
          const views = await Promise.all(
            liveClients().map(async (c) => (await c.cluster('NODES')) as string),
          );
          const agreed = views.every((v) =>
            parseClusterNodes(v).some((n) => n.port === replica.port && n.role === 'master' && n.slots > 0),
          );
          if (agreed && !(await clusterReady(liveClients(), masters))) return replica.port;
          if (Date.now() > until)
            throw new Error(`failover of ${masterPort} to ${replica.port} did not complete`);
          await sleep(50);
        }
      },
      stop,
    };
    return handle;
  } catch (err) {
    await stop();
    throw err;
  }
}
