/** Every built-in, registered by the modules imported here for their side effect. */
import './core.js';
import './encoding.js';
import './strings.js';

export { type Builtin, type BuiltinContext, builtinArity, builtins } from './registry.js';
