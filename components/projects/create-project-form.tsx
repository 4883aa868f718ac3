"use client";

import { useActionState, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Field, Input, Select, describedBy } from "@/components/ui/field";
import { SubmitButton } from "@/components/ui/submit-button";
import { createProjectAction } from "@/lib/actions/project-actions";
import { deriveProjectId } from "@/lib/projects/project-id";
import { PLANS, REGIONS, regionName } from "@/lib/projects/regions";

export function CreateProjectForm() {
  const [state, action] = useActionState(createProjectAction, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const [title, setTitle] = useState("");
  const [id, setId] = useState("");
  const [idEdited, setIdEdited] = useState(false);
  const shownId = idEdited ? id : title.trim() ? deriveProjectId(title) : "";
  const values = state?.values;

  return (
    <form action={action} className="max-w-xl space-y-5" noValidate>
      {state && !state.ok ? <Alert tone="error">{state.error}</Alert> : null}
      <Field id="title" label="Title" hint="1–100 characters. You can rename the project later." errors={errors?.title}>
        <Input
          id="title"
          name="title"
          required
          maxLength={500}
          autoFocus
          defaultValue={values?.title}
          onChange={(e) => setTitle(e.target.value)}
          {...describedBy("title", errors?.title, true)}
        />
      </Field>
      <Field
        id="id"
        label="Project id"
        hint="Used in URLs and the git remote; cannot be changed later. Lowercase letters, digits and dashes."
        errors={errors?.id}
      >
        <Input
          id="id"
          name="id"
          required
          className="font-mono"
          value={shownId}
          onChange={(e) => {
            setIdEdited(true);
            setId(e.target.value.toLowerCase());
          }}
          spellCheck={false}
          autoCapitalize="off"
          {...describedBy("id", errors?.id, true)}
        />
      </Field>
      <fieldset className="space-y-2" aria-describedby={errors?.plan ? "plan-error" : undefined}>
        <legend className="text-sm font-medium">Plan</legend>
        <div className="grid gap-3 sm:grid-cols-2">
          {PLANS.map((plan) => (
            <label
              key={plan.id}
              className="flex cursor-pointer gap-3 rounded-md border border-border bg-surface p-3 text-sm has-[:checked]:border-accent has-[:checked]:bg-accent-soft has-[:focus-visible]:outline has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-focus"
            >
              <input type="radio" name="plan" value={plan.id} defaultChecked={(values?.plan ?? "starter") === plan.id} className="mt-1 accent-[var(--accent)]" />
              <span>
                <span className="block font-medium">{plan.label}</span>
                <span className="block text-muted">{plan.summary}</span>
              </span>
            </label>
          ))}
        </div>
        {errors?.plan ? (
          <p id="plan-error" className="text-sm text-danger">
            {errors.plan.join(" ")}
          </p>
        ) : null}
      </fieldset>
      <Field id="region" label="Region" errors={errors?.region}>
        <Select id="region" name="region" defaultValue={values?.region ?? REGIONS[0].id} {...describedBy("region", errors?.region)}>
          {REGIONS.map((r) => (
            <option key={r.id} value={r.id}>
              {regionName(r.id)}
            </option>
          ))}
        </Select>
      </Field>
      <SubmitButton pendingText="Creating project…">Create project</SubmitButton>
    </form>
  );
}
