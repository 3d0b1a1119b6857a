// The spec's JSON Schema, generated from the zod schema (the single source): `gen-rtl schema`
// prints it and schema/pim-gen.schema.json, which the presets reference with "$schema", holds it.
import { z } from "zod";
import { specSchema } from "./schema.js";

export function specJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(specSchema, { target: "draft-2020-12", io: "input" }),
    $id: "https://pim-gen.invalid/schema/pim-gen.schema.json",
    title: "pim-gen chip spec",
  };
}
