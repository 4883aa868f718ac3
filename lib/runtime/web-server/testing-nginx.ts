/**
 * Tests only: nginx configuration text read back as nginx's own tokenizer reads it
 * (ngx_conf_read_token: quotes, backslash escapes, `#` comments, `;`, `{`, `}`), so that a test
 * can say which directives a generated file holds and prove that a value added none.
 */

export interface NginxDirective {
  name: string;
  args: string[];
  block?: NginxDirective[];
}

const SPACE = new Set([" ", "\t", "\r", "\n"]);

/** The directives of `text`; throws where nginx would refuse the syntax. */
export function parseNginxConfig(text: string): NginxDirective[] {
  const root: NginxDirective[] = [];
  const stack: NginxDirective[][] = [root];
  let words: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}: ${JSON.stringify(text.slice(Math.max(0, i - 40), i + 40))}`);
  };
  const end = (block: boolean) => {
    if (words.length === 0) fail("a directive without a name");
    const directive: NginxDirective = { name: words[0]!, args: words.slice(1) };
    stack.at(-1)!.push(directive);
    if (block) stack.push((directive.block = []));
    words = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (SPACE.has(c)) i++;
    else if (c === "#") while (i < text.length && text[i] !== "\n") i++;
    else if (c === ";" || c === "{") {
      end(c === "{");
      i++;
    } else if (c === "}") {
      if (words.length > 0 || stack.length === 1) fail("an unexpected }");
      stack.pop();
      i++;
    } else if (c === '"' || c === "'") {
      let word = "";
      for (i++; text[i] !== c; i++) {
        if (i >= text.length) fail("an unterminated quoted string");
        if (text[i] === "\\") word += unescape(text[++i]!);
        else word += text[i];
      }
      i++;
      // nginx wants a space, ";", "{" or ")" after a quoted string.
      if (i < text.length && !SPACE.has(text[i]!) && !";{)".includes(text[i]!)) fail("no space after a quoted string");
      words.push(word);
    } else {
      let word = "";
      while (i < text.length && !SPACE.has(text[i]!) && !";}".includes(text[i]!) && !(text[i] === "{" && !word.endsWith("$"))) {
        if (text[i] === "\\") word += unescape(text[++i]!);
        else if (text[i] === "{") {
          // ${name}: braces of a variable do not open a block.
          const close = text.indexOf("}", i);
          word += text.slice(i, close + 1);
          i = close;
        } else word += text[i];
        i++;
      }
      words.push(word);
    }
  }
  if (words.length > 0 || stack.length !== 1) fail("an unterminated directive or block");
  return root;
}

/** What nginx makes of `\x` (in and out of quotes). */
function unescape(c: string): string {
  return c === "t" ? "\t" : c === "r" ? "\r" : c === "n" ? "\n" : c === '"' || c === "'" || c === "\\" ? c : `\\${c}`;
}

/** The directives' names and argument counts, nested: two files of the same shape differ only in their values. */
export function shapeOf(directives: readonly NginxDirective[], depth = 0): string[] {
  return directives.flatMap((d) => [`${"  ".repeat(depth)}${d.name}/${d.args.length}${d.block ? " {" : ""}`, ...(d.block ? shapeOf(d.block, depth + 1) : [])]);
}

/** Every directive named `name`, at any depth, as its arguments. */
export function directivesNamed(directives: readonly NginxDirective[], name: string): string[][] {
  return directives.flatMap((d) => [...(d.name === name ? [d.args] : []), ...(d.block ? directivesNamed(d.block, name) : [])]);
}
