import type { Config } from '../config.js';

/** At most `size` tasks at once; the others wait, first come first served. */
export class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.size) this.active++;
    // Handed over by the task that finishes: `active` stays the same.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** One set of slots per server, which its Config stands for (tests run several servers in one process). */
const validationSlotsByConfig = new WeakMap<Config, Slots>();

/** Where uploaded archives wait to be checked: TERRACE_CONFIGURATION_VALIDATIONS at once. */
export function validationSlots(config: Config): Slots {
  let slots = validationSlotsByConfig.get(config);
  if (!slots) {
    slots = new Slots(config.configurationValidations);
    validationSlotsByConfig.set(config, slots);
  }
  return slots;
}
