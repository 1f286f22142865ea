// Lets plain `node` run the package's TypeScript sources (Node >= 22.18 strips types natively):
// the sources import siblings as `./x.js` (NodeNext style), which exist only as `./x.ts` before the
// build, so a relative `.js` specifier that does not resolve is retried as `.ts`.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (specifier.startsWith('.') && specifier.endsWith('.js')) {
        return nextResolve(specifier.slice(0, -3) + '.ts', context);
      }
      throw err;
    }
  },
});
