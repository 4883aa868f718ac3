"use client";

import { useState, type ComponentProps } from "react";
import { Input } from "./field";

/**
 * A password field that keeps what was typed when the form comes back with an error (the
 * server never sends passwords back). Remount it (a new `key` on the form) to clear it.
 */
export function PasswordInput(props: Omit<ComponentProps<typeof Input>, "type" | "value" | "defaultValue" | "onChange">) {
  const [value, setValue] = useState("");
  return <Input type="password" {...props} value={value} onChange={(e) => setValue(e.target.value)} />;
}
