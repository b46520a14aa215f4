/** Every built-in, registered by the modules imported here for their side effect. */
import './core.js';

export { type Builtin, type BuiltinContext, builtinArity, builtins } from './registry.js';
