import type { PropsWithChildren } from '@kitajs/html';

/** The form fields every page's forms are made of: a label and its control, tied by the control's id. */

/** Why the form's last post was refused, above its fields; nothing when it was not. */
export function FormError({ message }: { message: string | undefined }): JSX.Element {
  return message ? (
    <p class="form-error" role="alert" safe>
      {message}
    </p>
  ) : (
    ''
  );
}

/** A text-like input (type `text` unless given) under its label. */
export function InputField({ label, id, type = 'text', ...input }: JSX.HtmlInputTag & { label: string; id: string }): JSX.Element {
  return (
    <>
      <label for={id} safe>
        {label}
      </label>
      <input type={type} id={id} {...input} />
    </>
  );
}

/** One option of a select: what it posts and what it shows. */
export interface Choice {
  value: string;
  label: string;
}

/** A select under its label, `selected` the chosen option's value; `hideLabel` where a table's column says what it is. */
export function SelectField({
  label,
  hideLabel = false,
  id,
  name,
  choices,
  selected,
}: {
  label: string;
  hideLabel?: boolean;
  id: string;
  name: string;
  choices: readonly Choice[];
  selected?: string | undefined;
}): JSX.Element {
  return (
    <>
      <label for={id} class={hideLabel ? 'visually-hidden' : undefined} safe>
        {label}
      </label>
      <select id={id} name={name}>
        {choices.map((choice) => (
          <option value={choice.value} selected={choice.value === selected} safe>
            {choice.label}
          </option>
        ))}
      </select>
    </>
  );
}

/** Choices that show what they post. */
export function choicesOf(values: readonly string[]): Choice[] {
  return values.map((value) => ({ value, label: value }));
}

/** A checkbox inside its label, the label's text (the children) after it. */
export function CheckboxField({ children, ...input }: PropsWithChildren<JSX.HtmlInputTag>): JSX.Element {
  return (
    <label class="check">
      <input type="checkbox" {...input} /> {children}
    </label>
  );
}
