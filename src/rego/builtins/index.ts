/** Every built-in, registered by the modules imported here for their side effect. */
import './aws.js';
import './collections.js';
import './core.js';
import './encoding.js';
import './globs-match.js';
import './graphql.js';
import './jsonschema.js';
import './jwt.js';
import './keys.js';
import './net.js';
import './objects.js';
import './regex.js';
import './strings.js';
import './template.js';
import './time.js';
import './uuid.js';

export { type Builtin, type BuiltinContext, builtinArity, builtins } from './registry.js';
