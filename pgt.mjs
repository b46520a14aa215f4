import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
let t=Date.now();
const d = await PGlite.create({extensions:{pg_trgm}}); console.log('open', Date.now()-t); t=Date.now();
await d.exec('create extension pg_trgm; create table x(a int)'); console.log('q', Date.now()-t); t=Date.now();
const blob = await d.dumpDataDir('none'); console.log('dump', Date.now()-t, blob.size); t=Date.now();
const d2 = await PGlite.create({extensions:{pg_trgm}, loadDataDir: blob}); console.log('load', Date.now()-t); t=Date.now();
console.log((await d2.query('select count(*) from x')).rows, Date.now()-t);
for (let i=0;i<3;i++){ t=Date.now(); await PGlite.create({extensions:{pg_trgm}, loadDataDir: blob}); console.log('load', Date.now()-t);}
t=Date.now(); await PGlite.create({extensions:{pg_trgm}}); console.log('fresh', Date.now()-t);
