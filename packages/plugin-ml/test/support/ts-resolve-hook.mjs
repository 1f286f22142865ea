// Lets plain `node` run this package's TypeScript sources (Node >= 22.18 strips types): the sources
// import siblings as `./x.js`, which exist only as `./x.ts` before the build.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (specifier.startsWith('.') && specifier.endsWith('.js')) return nextResolve(specifier.slice(0, -3) + '.ts', context);
      throw err;
    }
  },
});
