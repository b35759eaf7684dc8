import { createServer } from "node:net";

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 by listening on port 0 and closing again.
 *
 * Why: every harness server (registry, token server, proxy, nginx) must run on a random port so
 * tests can run in parallel and never collide with anything already on the machine. There is a
 * small race between closing and the real server binding; callers that spawn external servers
 * retry on "address in use" where it matters.
 */
export async function getFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error(`could not read the port of a listening socket on ${host}`));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
