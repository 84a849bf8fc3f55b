// A restricted unpickler: the pickle virtual machine (protocols 0-5) over a byte array, with every
// effect delegated to hooks. It imports nothing and calls nothing itself: GLOBAL makes a PyGlobal,
// REDUCE / INST / OBJ / NEWOBJ_EX go to hooks.call (which refuses anything off its allow-list),
// NEWOBJ to hooks.construct (an inert record), BUILD to hooks.build. Every length is checked against
// the bytes left before anything is allocated, so a hostile pickle cannot make it allocate more
// than its own size (plus small per-opcode overhead).
import { PyDict, PyGlobal, PyObject, PySet, describe } from './values.js';

export interface UnpickleHooks {
  persistentLoad(pid: unknown): unknown;
  /** A call: `fn(*args, **kwargs)`. Must refuse (throw) anything not on its allow-list. */
  call(fn: unknown, args: unknown[], kwargs?: PyDict): unknown;
  /** `cls.__new__(cls, *args)` (NEWOBJ): becomes an inert record. */
  construct(cls: unknown, args: unknown[]): unknown;
}

/** Thrown when the pickle runs past the bytes given (the caller may retry with more). */
export class PickleTruncated extends Error {}

/** Largest integer encoded in LONG1/LONG4 that is accepted (bytes). */
const MAX_LONG_BYTES = 1024;

export interface UnpickleResult {
  value: unknown;
  /** Offset just past the STOP opcode. */
  end: number;
}

/** Runs the pickle that starts at `start` in `bytes`. `file` names the source in every error. */
export function unpickle(file: string, bytes: Uint8Array, start: number, hooks: UnpickleHooks): UnpickleResult {
  return new Machine(file, bytes, start, hooks).run();
}

class Machine {
  private pos: number;
  private stack: unknown[] = [];
  private marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly dv: DataView;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly file: string, private readonly bytes: Uint8Array, start: number, private readonly hooks: UnpickleHooks) {
    this.pos = start;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(what: string): never {
    throw new Error(`${this.file}: damaged pickle at byte ${this.pos}: ${what}`);
  }

  private need(n: number): number {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new PickleTruncated(`${this.file}: pickle truncated at byte ${this.pos} (needs ${n} more bytes, ${this.bytes.length - this.pos} left)`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private u8(): number { return this.bytes[this.need(1)]; }
  private u16(): number { return this.dv.getUint16(this.need(2), true); }
  private u32(): number { return this.dv.getUint32(this.need(4), true); }
  private i32(): number { return this.dv.getInt32(this.need(4), true); }
  private u64(): number {
    const v = this.dv.getBigUint64(this.need(8), true);
    if (v > BigInt(this.bytes.length)) throw new PickleTruncated(`${this.file}: pickle truncated at byte ${this.pos} (a ${v}-byte item)`);
    return Number(v);
  }
  private raw(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.slice(at, at + n);
  }
  private str(n: number): string {
    const at = this.need(n);
    try {
      return this.utf8.decode(this.bytes.subarray(at, at + n));
    } catch {
      return this.fail('string is not valid UTF-8');
    }
  }
  private latin1(n: number): string {
    const at = this.need(n);
    let s = '';
    for (let i = at; i < at + n; i++) s += String.fromCharCode(this.bytes[i]);
    return s;
  }
  private line(): string {
    const nl = this.bytes.indexOf(0x0a, this.pos);
    if (nl < 0) throw new PickleTruncated(`${this.file}: pickle truncated at byte ${this.pos} (an unterminated text line)`);
    const s = this.latin1(nl - this.pos);
    this.pos++;
    return s;
  }

  private push(v: unknown): void { this.stack.push(v); }
  private pop(): unknown {
    if (this.stack.length === 0 || (this.marks.length && this.stack.length <= this.marks[this.marks.length - 1])) this.fail('stack underflow');
    return this.stack.pop();
  }
  private top(): unknown {
    if (this.stack.length === 0) this.fail('stack underflow');
    return this.stack[this.stack.length - 1];
  }
  private popMark(): unknown[] {
    const m = this.marks.pop();
    if (m === undefined) this.fail('no MARK on the stack');
    return this.stack.splice(m);
  }
  private memoGet(i: number): unknown {
    if (!this.memo.has(i)) this.fail(`memo key ${i} was never stored`);
    return this.memo.get(i);
  }
  private long(n: number): number | bigint {
    if (n > MAX_LONG_BYTES) this.fail(`a ${n}-byte integer`);
    const b = this.raw(n);
    if (n === 0) return 0;
    let hex = '';
    for (let i = n - 1; i >= 0; i--) hex += b[i].toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if (b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : v;
  }
  private textInt(s: string): number | bigint | boolean {
    if (s === '00') return false;
    if (s === '01') return true;
    const t = s.endsWith('L') ? s.slice(0, -1) : s;
    if (!/^[+-]?\d{1,400}$/.test(t)) this.fail(`bad integer text ${JSON.stringify(s.slice(0, 40))}`);
    const v = BigInt(t);
    return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  }

  private setItems(target: unknown, items: unknown[]): void {
    if (items.length % 2) this.fail('SETITEMS with an odd number of items');
    const map = target instanceof PyDict ? target.map : target instanceof PyObject ? target.dictItems : this.fail(`SETITEM on ${describe(target)}`);
    for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1]);
  }
  private appendItems(target: unknown, items: unknown[]): void {
    const list = Array.isArray(target) ? target : target instanceof PyObject ? target.listItems : target instanceof PySet ? target.items : this.fail(`APPEND on ${describe(target)}`);
    for (const item of items) list.push(item); // not push(...items): a hostile MARK can hold millions
  }
  private build(obj: unknown, state: unknown): void {
    if (obj instanceof PyObject) {
      if (obj.state instanceof PyDict && state instanceof PyDict) for (const [k, v] of state.map) obj.state.map.set(k, v);
      else obj.state = state;
    } else if (obj instanceof PyDict) {
      obj.attrs = state;
    }
    // BUILD on anything else (a tensor's metadata, a set) is inert: nothing to keep.
  }
  private args(v: unknown, op: string): unknown[] {
    if (!Array.isArray(v)) this.fail(`${op} arguments are ${describe(v)}, not a tuple`);
    return v;
  }

  run(): UnpickleResult {
    for (;;) {
      const op = this.u8();
      switch (op) {
        case 0x80: { // PROTO
          const p = this.u8();
          if (p > 5) this.fail(`pickle protocol ${p} (1-5 are known)`);
          break;
        }
        case 0x95: this.u64(); break; // FRAME: a length hint only
        case 0x2e: // STOP
          if (this.stack.length !== 1 || this.marks.length) this.fail(`STOP with ${this.stack.length} values on the stack`);
          return { value: this.stack[0], end: this.pos };
        case 0x28: this.marks.push(this.stack.length); break; // MARK
        case 0x30: this.pop(); break; // POP
        case 0x31: this.popMark(); break; // POP_MARK
        case 0x32: this.push(this.top()); break; // DUP
        // Scalars.
        case 0x4e: this.push(null); break; // NONE
        case 0x88: this.push(true); break; // NEWTRUE
        case 0x89: this.push(false); break; // NEWFALSE
        case 0x4b: this.push(this.u8()); break; // BININT1
        case 0x4d: this.push(this.u16()); break; // BININT2
        case 0x4a: this.push(this.i32()); break; // BININT
        case 0x8a: this.push(this.long(this.u8())); break; // LONG1
        case 0x8b: this.push(this.long(this.u32())); break; // LONG4
        case 0x47: this.push(this.dv.getFloat64(this.need(8), false)); break; // BINFLOAT (big-endian)
        case 0x49: this.push(this.textInt(this.line())); break; // INT
        case 0x4c: this.push(this.textInt(this.line())); break; // LONG
        case 0x46: { // FLOAT
          const s = this.line();
          const special: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: NaN };
          const v = special[s] ?? Number(s);
          if (Number.isNaN(v) && s !== 'nan') this.fail(`bad float text ${JSON.stringify(s.slice(0, 40))}`);
          this.push(v);
          break;
        }
        // Strings and bytes.
        case 0x58: this.push(this.str(this.u32())); break; // BINUNICODE
        case 0x8c: this.push(this.str(this.u8())); break; // SHORT_BINUNICODE
        case 0x8d: this.push(this.str(this.u64())); break; // BINUNICODE8
        case 0x56: this.push(unescapeUnicode(this.line(), () => this.fail('UNICODE escape beyond U+10FFFF'))); break; // UNICODE (raw-unicode-escape)
        case 0x54: { // BINSTRING (python 2 str)
          const n = this.i32();
          if (n < 0) this.fail('negative BINSTRING length');
          this.push(this.latin1(n));
          break;
        }
        case 0x55: this.push(this.latin1(this.u8())); break; // SHORT_BINSTRING
        case 0x53: this.push(unquote(this.line(), () => this.fail('bad STRING literal'))); break; // STRING
        case 0x42: this.push(this.raw(this.u32())); break; // BINBYTES
        case 0x43: this.push(this.raw(this.u8())); break; // SHORT_BINBYTES
        case 0x8e: this.push(this.raw(this.u64())); break; // BINBYTES8
        case 0x96: this.push(this.raw(this.u64())); break; // BYTEARRAY8
        case 0x97: case 0x98: this.fail('out-of-band buffers are not supported'); // NEXT_BUFFER, READONLY_BUFFER
        // Containers.
        case 0x29: this.push([]); break; // EMPTY_TUPLE
        case 0x85: this.push([this.pop()]); break; // TUPLE1
        case 0x86: { const b = this.pop(); const a = this.pop(); this.push([a, b]); break; } // TUPLE2
        case 0x87: { const c = this.pop(); const b = this.pop(); const a = this.pop(); this.push([a, b, c]); break; } // TUPLE3
        case 0x74: this.push(this.popMark()); break; // TUPLE
        case 0x5d: this.push([]); break; // EMPTY_LIST
        case 0x6c: this.push(this.popMark()); break; // LIST
        case 0x61: { const v = this.pop(); this.appendItems(this.top(), [v]); break; } // APPEND
        case 0x65: { const items = this.popMark(); this.appendItems(this.top(), items); break; } // APPENDS
        case 0x7d: this.push(new PyDict()); break; // EMPTY_DICT
        case 0x64: { const d = new PyDict(); this.setItems(d, this.popMark()); this.push(d); break; } // DICT
        case 0x73: { const v = this.pop(); const k = this.pop(); this.setItems(this.top(), [k, v]); break; } // SETITEM
        case 0x75: { const items = this.popMark(); this.setItems(this.top(), items); break; } // SETITEMS
        case 0x8f: this.push(new PySet()); break; // EMPTY_SET
        case 0x90: { const items = this.popMark(); this.appendItems(this.top(), items); break; } // ADDITEMS
        case 0x91: this.push(new PySet(this.popMark())); break; // FROZENSET
        // Memo.
        case 0x70: this.memo.set(Number(this.textInt(this.line())), this.top()); break; // PUT
        case 0x71: this.memo.set(this.u8(), this.top()); break; // BINPUT
        case 0x72: this.memo.set(this.u32(), this.top()); break; // LONG_BINPUT
        case 0x94: this.memo.set(this.memo.size, this.top()); break; // MEMOIZE
        case 0x67: this.push(this.memoGet(Number(this.textInt(this.line())))); break; // GET
        case 0x68: this.push(this.memoGet(this.u8())); break; // BINGET
        case 0x6a: this.push(this.memoGet(this.u32())); break; // LONG_BINGET
        // Globals, calls and objects: all through the hooks.
        case 0x63: { const module = this.line(); this.push(pyGlobal(module, this.line())); break; } // GLOBAL
        case 0x93: { // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings');
          this.push(pyGlobal(module, name));
          break;
        }
        case 0x52: { const args = this.args(this.pop(), 'REDUCE'); this.push(this.hooks.call(this.pop(), args)); break; } // REDUCE
        case 0x81: { const args = this.args(this.pop(), 'NEWOBJ'); this.push(this.hooks.construct(this.pop(), args)); break; } // NEWOBJ
        case 0x92: { // NEWOBJ_EX
          const kwargs = this.pop();
          const args = this.args(this.pop(), 'NEWOBJ_EX');
          this.push(this.hooks.call(this.pop(), args, kwargs instanceof PyDict ? kwargs : undefined));
          break;
        }
        case 0x69: { // INST
          const module = this.line();
          const name = this.line();
          this.push(this.hooks.call(pyGlobal(module, name), this.popMark()));
          break;
        }
        case 0x6f: { const items = this.popMark(); if (!items.length) this.fail('OBJ without a class'); this.push(this.hooks.call(items[0], items.slice(1))); break; } // OBJ
        case 0x62: { const state = this.pop(); this.build(this.top(), state); break; } // BUILD
        case 0x51: this.push(this.hooks.persistentLoad(this.pop())); break; // BINPERSID
        case 0x50: this.push(this.hooks.persistentLoad(this.line())); break; // PERSID
        case 0x82: case 0x83: case 0x84: this.fail('extension registry codes (EXT1/2/4) are not supported');
        default: this.fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
  }
}

/** Python 2 module names as Python 3's unpickler maps them (pickle's fix_imports, _compat_pickle). */
const PY2_MODULES: Record<string, string> = {
  __builtin__: 'builtins', copy_reg: 'copyreg', commands: 'subprocess', cPickle: 'pickle', exceptions: 'builtins',
  UserDict: 'collections', UserList: 'collections', _abcoll: 'collections.abc', cStringIO: 'io', StringIO: 'io',
};

/** The global a name resolves to, so refusals and the allow-list see Python 3 names. */
function pyGlobal(module: string, name: string): PyGlobal {
  return new PyGlobal(PY2_MODULES[module] ?? module, name);
}

/** Python 2 STRING literal: 'text' or "text" with backslash escapes. */
function unquote(s: string, bad: () => never): string {
  const q = s[0];
  if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) return bad();
  const body = s.slice(1, -1);
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  return body.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) => (e[0] === 'x' && e.length === 3 ? String.fromCharCode(parseInt(e.slice(1), 16)) : simple[e] ?? `\\${e}`));
}

/** raw-unicode-escape: \uXXXX and \UXXXXXXXX, everything else literal. */
function unescapeUnicode(s: string, bad: () => never): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a?: string, b?: string) => {
    const cp = parseInt((a ?? b)!, 16);
    return cp > 0x10ffff ? bad() : String.fromCodePoint(cp); // \U0110ffff and up: a RangeError otherwise
  });
}
