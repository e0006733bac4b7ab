/**
 * focusd for the stop-latency benchmark: the same pieces `runFocusd` wires under `--simulate`
 * (phone book + config, FocuserService over the simulated Atlas, the focuser Pyro object with the
 * control-IP check, PyroDaemon), plus one line `HALT <CLOCK_MONOTONIC ns>` on stdout each time
 * a halt reaches the simulated device (SimulatedAtlas.onCommand). Only bench/run.ts starts it.
 *
 * Usage: node dist/bench/instrumented-focusd.js <config.json>   (FOCUSD_PHONEBOOK as for focusd)
 */
import { loadConfig, loadPhoneBook } from '../src/config/index.js';
import { SimulatedAtlas } from '../src/hardware/index.js';
import { createFocusdLog } from '../src/logging/index.js';
import { PyroDaemon } from '../src/pyro/index.js';
import { deviceOpener } from '../src/service/atlas-device.js';
import { controlIpCheck, focuserObject } from '../src/service/focuser-object.js';
import { FocuserService } from '../src/service/focuser-service.js';

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (!configPath) throw new Error('usage: instrumented-focusd.js <config.json>');
  const book = loadPhoneBook(process.env);
  const config = loadConfig(configPath, book);
  const log = createFocusdLog({ logName: config.logName, forwarder: null });
  const simulator = new SimulatedAtlas();
  // The simulated Atlas's command listener runs as the halt bytes arrive at the device.
  simulator.onCommand((_bytes, _atMs, halt) => {
    if (halt) process.stdout.write(`HALT ${process.hrtime.bigint()}\n`);
  });
  const service = new FocuserService({
    open: deviceOpener({ simulator }),
    log: { info: (m) => log.info(m), warning: (m) => log.warning(m), error: (m) => log.error(m) },
    moveTimeout: config.moveTimeout,
    isControl: controlIpCheck(config.controlIps),
  });
  const daemon = new PyroDaemon({ host: config.daemon.host, port: config.daemon.port });
  daemon.register(config.daemon.objectId, focuserObject(service));
  const bound = await daemon.start();
  process.stdout.write(`Starting daemon PYRO:${config.daemon.objectId}@${bound.host}:${bound.port}\n`);
  const stop = (): void => {
    void service
      .terminate(2000)
      .then(() => daemon.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`instrumented-focusd: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
