import { z } from "zod";
import { displayTextProblem } from "@/lib/text";

export const emailSchema = z
  .string({ error: "Enter an email address." })
  .trim()
  .toLowerCase()
  .min(1, "Enter an email address.")
  .max(254, "An email address has at most 254 characters.")
  .pipe(z.email("Enter a valid email address, like name@example.com."));

export const passwordSchema = z
  .string({ error: "Enter a password." })
  .min(8, "Use at least 8 characters for the password.")
  .max(200, "Use at most 200 characters for the password.");

export const personNameSchema = z
  .string()
  .trim()
  .min(1, "Enter a name.")
  .max(100, "A name has at most 100 characters.")
  .superRefine((v, ctx) => {
    const problem = displayTextProblem(v, "name");
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const newUserSchema = z.object({
  name: personNameSchema,
  email: emailSchema,
  password: passwordSchema,
});

const samePasswords = <T extends { password: string; confirmPassword: string }>(v: T) => v.password === v.confirmPassword;
const SAME_PASSWORDS = { path: ["confirmPassword"], message: "The two passwords differ. Type the same password twice." };

export const firstAdministratorSchema = newUserSchema.extend({ confirmPassword: z.string() }).refine(samePasswords, SAME_PASSWORDS);

export const signInSchema = z.object({
  email: emailSchema,
  password: z.string().min(1, "Enter your password.").max(200, "Email or password is wrong."),
});

export const changePasswordSchema = z
  .object({
    currentPassword: z.string({ error: "Enter your current password." }).min(1, "Enter your current password.").max(200, "This is not your current password."),
    password: passwordSchema,
    confirmPassword: z.string(),
  })
  .refine(samePasswords, SAME_PASSWORDS);

export const updateNameSchema = z.object({ name: personNameSchema });

export const userIdSchema = z.object({ userId: z.string().min(1, "Choose a user.").max(100) });

export const updateUserSchema = userIdSchema.extend({
  name: personNameSchema,
  isAdmin: z.enum(["on", "off"]).optional(),
});

/** A one-time link's token, as it appears in the link (43 base64url characters). */
export const linkTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "This link is incomplete. Copy the whole link and open it again.");

export const setPasswordWithLinkSchema = z
  .object({ token: linkTokenSchema, password: passwordSchema, confirmPassword: z.string() })
  .refine(samePasswords, SAME_PASSWORDS);

export const acceptInvitationSchema = z
  .object({ token: linkTokenSchema, name: personNameSchema, password: passwordSchema, confirmPassword: z.string() })
  .refine(samePasswords, SAME_PASSWORDS);
