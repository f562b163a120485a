import * as v from 'valibot';

/**
 * ChatKit widget trees (`@openai/chatkit` 1.9.0 `types/widgets.d.ts`, chatkit-python
 * `chatkit/widgets.py`): the roots and the components this backend emits, with the published
 * names and property spellings (camelCase, as on the wire). Strict like every response shape in
 * shared/chatkit.ts: a component or property the published types do not have fails validation,
 * so a typo reaches a test, not the closed-source client. Components this backend never emits
 * (forms, tables, images…) are left out on purpose; add them here before emitting them.
 */

// --- shared props ------------------------------------------------------------------------------

const SizeValueSchema = v.union([v.number(), v.string()]);
const ThemeColorSchema = v.strictObject({ dark: v.string(), light: v.string() });
const ColorSchema = v.union([v.string(), ThemeColorSchema]);
const SpacingSchema = v.strictObject({
  top: v.optional(SizeValueSchema),
  right: v.optional(SizeValueSchema),
  bottom: v.optional(SizeValueSchema),
  left: v.optional(SizeValueSchema),
  x: v.optional(SizeValueSchema),
  y: v.optional(SizeValueSchema),
});
const AlignmentSchema = v.picklist(['start', 'center', 'end', 'baseline', 'stretch']);
const JustificationSchema = v.picklist(['start', 'center', 'end', 'between', 'around', 'evenly', 'stretch']);
const TextAlignSchema = v.picklist(['start', 'center', 'end']);
const WeightSchema = v.picklist(['normal', 'medium', 'semibold', 'bold']);
const ControlVariantSchema = v.picklist(['solid', 'soft', 'outline', 'ghost']);
const ControlSizeSchema = v.picklist(['3xs', '2xs', 'xs', 'sm', 'md', 'lg', 'xl', '2xl', '3xl']);
const ThemeSchema = v.picklist(['light', 'dark']);

/** `WidgetIcon`: the published, closed list of icon names (a subset of them would do; all are valid). */
export const WidgetIconSchema = v.picklist([
  'agent',
  'analytics',
  'atom',
  'batch',
  'bolt',
  'book-open',
  'book-closed',
  'book-clock',
  'bug',
  'calendar',
  'chart',
  'check',
  'check-circle',
  'check-circle-filled',
  'chevron-left',
  'chevron-right',
  'circle-question',
  'compass',
  'confetti',
  'cube',
  'desktop',
  'document',
  'dot',
  'dots-horizontal',
  'dots-vertical',
  'empty-circle',
  'external-link',
  'globe',
  'keys',
  'lab',
  'images',
  'info',
  'lifesaver',
  'lightbulb',
  'mail',
  'map-pin',
  'maps',
  'mobile',
  'name',
  'notebook',
  'notebook-pencil',
  'page-blank',
  'phone',
  'play',
  'plus',
  'profile',
  'profile-card',
  'reload',
  'star',
  'star-filled',
  'search',
  'sparkle',
  'sparkle-double',
  'square-code',
  'square-image',
  'square-text',
  'suitcase',
  'settings-slider',
  'user',
  'wreath',
  'write',
  'write-alt',
  'write-alt2',
]);
export type WidgetIcon = v.InferOutput<typeof WidgetIconSchema>;

/**
 * An action a control sends (`Button.onClickAction`, `ListViewItem.onClickAction`). The npm types
 * name `{type, payload?}`; chatkit-python's `ActionConfig` also serialises `handler`,
 * `loadingBehavior` and `streaming` (`streaming: false` makes the client use
 * `threads.sync_custom_action`).
 */
export const ActionConfigSchema = v.strictObject({
  type: v.pipe(v.string(), v.minLength(1)),
  payload: v.optional(v.record(v.string(), v.unknown())),
  handler: v.optional(v.picklist(['server', 'client'])),
  loadingBehavior: v.optional(v.picklist(['auto', 'none', 'self', 'container'])),
  streaming: v.optional(v.boolean()),
});
export type ActionConfig = v.InferOutput<typeof ActionConfigSchema>;

const WidgetStatusSchema = v.union([
  v.strictObject({ text: v.string(), favicon: v.optional(v.string()), frame: v.optional(v.boolean()) }),
  v.strictObject({ text: v.string(), icon: v.optional(WidgetIconSchema) }),
]);

const BlockEntries = {
  height: v.optional(SizeValueSchema),
  width: v.optional(SizeValueSchema),
  size: v.optional(SizeValueSchema),
  minHeight: v.optional(SizeValueSchema),
  minWidth: v.optional(SizeValueSchema),
  minSize: v.optional(SizeValueSchema),
  maxHeight: v.optional(SizeValueSchema),
  maxWidth: v.optional(SizeValueSchema),
  maxSize: v.optional(SizeValueSchema),
  aspectRatio: v.optional(SizeValueSchema),
  radius: v.optional(v.picklist(['2xs', 'xs', 'sm', 'md', 'lg', 'xl', '2xl', '3xl', '4xl', 'full', '100%', 'none'])),
  margin: v.optional(v.union([v.number(), v.string(), SpacingSchema])),
};

const IdEntries = { key: v.optional(v.string()), id: v.optional(v.string()) };

const TextEntries = {
  value: v.string(),
  color: v.optional(ColorSchema),
  weight: v.optional(WeightSchema),
  textAlign: v.optional(TextAlignSchema),
  truncate: v.optional(v.boolean()),
  maxLines: v.optional(v.number()),
};

// --- components ----------------------------------------------------------------------------------

export interface TextComponent {
  type: 'Text';
  key?: string;
  id?: string;
  value: string;
  streaming?: boolean;
  italic?: boolean;
  lineThrough?: boolean;
  width?: number | string;
  size?: 'xs' | 'sm' | 'md' | 'lg' | 'xl';
  minLines?: number;
  color?: string | { dark: string; light: string };
  weight?: 'normal' | 'medium' | 'semibold' | 'bold';
  textAlign?: 'start' | 'center' | 'end';
  truncate?: boolean;
  maxLines?: number;
}
export const TextSchema = v.strictObject({
  type: v.literal('Text'),
  ...IdEntries,
  ...TextEntries,
  streaming: v.optional(v.boolean()),
  italic: v.optional(v.boolean()),
  lineThrough: v.optional(v.boolean()),
  width: v.optional(SizeValueSchema),
  size: v.optional(v.picklist(['xs', 'sm', 'md', 'lg', 'xl'])),
  minLines: v.optional(v.number()),
});

export const TitleSchema = v.strictObject({
  type: v.literal('Title'),
  ...IdEntries,
  ...TextEntries,
  size: v.optional(v.picklist(['sm', 'md', 'lg', 'xl', '2xl', '3xl', '4xl', '5xl'])),
});
export const CaptionSchema = v.strictObject({
  type: v.literal('Caption'),
  ...IdEntries,
  ...TextEntries,
  size: v.optional(v.picklist(['sm', 'md', 'lg'])),
});
export const BadgeSchema = v.strictObject({
  type: v.literal('Badge'),
  ...IdEntries,
  label: v.string(),
  color: v.optional(v.picklist(['secondary', 'success', 'danger', 'warning', 'info', 'discovery'])),
  variant: v.optional(v.picklist(['solid', 'soft', 'outline'])),
  size: v.optional(v.picklist(['sm', 'md', 'lg'])),
  pill: v.optional(v.boolean()),
});
export const IconSchema = v.strictObject({
  type: v.literal('Icon'),
  ...IdEntries,
  name: WidgetIconSchema,
  color: v.optional(ColorSchema),
  size: v.optional(v.picklist(['xs', 'sm', 'md', 'lg', 'xl', '2xl', '3xl'])),
});
export const SpacerSchema = v.strictObject({ type: v.literal('Spacer'), ...IdEntries, minSize: v.optional(SizeValueSchema) });
export const DividerSchema = v.strictObject({
  type: v.literal('Divider'),
  ...IdEntries,
  color: v.optional(ColorSchema),
  size: v.optional(SizeValueSchema),
  spacing: v.optional(SizeValueSchema),
  flush: v.optional(v.boolean()),
});
export const ButtonSchema = v.strictObject({
  type: v.literal('Button'),
  ...IdEntries,
  submit: v.optional(v.boolean()),
  label: v.optional(v.string()),
  onClickAction: v.optional(ActionConfigSchema),
  iconStart: v.optional(WidgetIconSchema),
  iconEnd: v.optional(WidgetIconSchema),
  style: v.optional(v.picklist(['primary', 'secondary'])),
  iconSize: v.optional(v.picklist(['sm', 'md', 'lg', 'xl', '2xl'])),
  color: v.optional(v.picklist(['primary', 'secondary', 'info', 'discovery', 'success', 'caution', 'warning', 'danger'])),
  variant: v.optional(ControlVariantSchema),
  size: v.optional(ControlSizeSchema),
  pill: v.optional(v.boolean()),
  uniform: v.optional(v.boolean()),
  block: v.optional(v.boolean()),
  disabled: v.optional(v.boolean()),
});

export type Title = v.InferOutput<typeof TitleSchema>;
export type Caption = v.InferOutput<typeof CaptionSchema>;
export type Badge = v.InferOutput<typeof BadgeSchema>;
export type Icon = v.InferOutput<typeof IconSchema>;
export type Spacer = v.InferOutput<typeof SpacerSchema>;
export type Divider = v.InferOutput<typeof DividerSchema>;
export type Button = v.InferOutput<typeof ButtonSchema>;

type BoxBase = {
  key?: string;
  id?: string;
  children?: WidgetComponent[];
  align?: 'start' | 'center' | 'end' | 'baseline' | 'stretch';
  justify?: 'start' | 'center' | 'end' | 'between' | 'around' | 'evenly' | 'stretch';
  wrap?: 'nowrap' | 'wrap' | 'wrap-reverse';
  flex?: number | string;
  gap?: number | string;
  padding?: number | string | v.InferOutput<typeof SpacingSchema>;
  background?: string | { dark: string; light: string };
} & Partial<Record<Exclude<keyof typeof BlockEntries, 'radius' | 'margin'>, number | string>> & {
    radius?: v.InferOutput<(typeof BlockEntries)['radius']>;
    margin?: number | string | v.InferOutput<typeof SpacingSchema>;
  };
export type Row = { type: 'Row' } & BoxBase;
export type Col = { type: 'Col' } & BoxBase;
export type Box = { type: 'Box'; direction?: 'row' | 'col' } & BoxBase;

/** The components this backend emits (a subset of `WidgetComponent`). */
export type WidgetComponent = TextComponent | Title | Caption | Badge | Icon | Spacer | Divider | Button | Row | Col | Box;

// `border` (number | Border | Borders) is left out of boxes: this backend draws none.
const boxEntries = () => ({
  ...IdEntries,
  children: v.optional(v.array(WidgetComponentSchema)),
  align: v.optional(AlignmentSchema),
  justify: v.optional(JustificationSchema),
  wrap: v.optional(v.picklist(['nowrap', 'wrap', 'wrap-reverse'])),
  flex: v.optional(SizeValueSchema),
  gap: v.optional(SizeValueSchema),
  padding: v.optional(v.union([v.number(), v.string(), SpacingSchema])),
  background: v.optional(ColorSchema),
  ...BlockEntries,
});

export const WidgetComponentSchema: v.GenericSchema<WidgetComponent> = v.lazy(() =>
  v.variant('type', [
    TextSchema,
    TitleSchema,
    CaptionSchema,
    BadgeSchema,
    IconSchema,
    SpacerSchema,
    DividerSchema,
    ButtonSchema,
    v.strictObject({ type: v.literal('Row'), ...boxEntries() }),
    v.strictObject({ type: v.literal('Col'), ...boxEntries() }),
    v.strictObject({ type: v.literal('Box'), direction: v.optional(v.picklist(['row', 'col'])), ...boxEntries() }),
  ]),
) as v.GenericSchema<WidgetComponent>;

// --- roots ---------------------------------------------------------------------------------------

/** Only as a direct child of a ListView. */
export const ListViewItemSchema = v.strictObject({
  type: v.literal('ListViewItem'),
  ...IdEntries,
  children: v.array(WidgetComponentSchema),
  onClickAction: v.optional(ActionConfigSchema),
  gap: v.optional(SizeValueSchema),
  align: v.optional(AlignmentSchema),
});
export type ListViewItem = v.InferOutput<typeof ListViewItemSchema>;

export const ListViewSchema = v.strictObject({
  type: v.literal('ListView'),
  ...IdEntries,
  children: v.array(ListViewItemSchema),
  limit: v.optional(v.union([v.pipe(v.number(), v.integer(), v.minValue(1)), v.literal('auto')])),
  status: v.optional(WidgetStatusSchema),
  theme: v.optional(ThemeSchema),
});
export type ListView = v.InferOutput<typeof ListViewSchema>;

export const CardSchema = v.strictObject({
  type: v.literal('Card'),
  ...IdEntries,
  asForm: v.optional(v.boolean()),
  children: v.array(WidgetComponentSchema),
  background: v.optional(ColorSchema),
  size: v.optional(v.picklist(['sm', 'md', 'lg', 'full'])),
  padding: v.optional(v.union([v.number(), v.string(), SpacingSchema])),
  status: v.optional(WidgetStatusSchema),
  collapsed: v.optional(v.boolean()),
  confirm: v.optional(v.strictObject({ label: v.string(), action: ActionConfigSchema })),
  cancel: v.optional(v.strictObject({ label: v.string(), action: ActionConfigSchema })),
  theme: v.optional(ThemeSchema),
});
export type Card = v.InferOutput<typeof CardSchema>;

/** `WidgetRoot` as emitted here: a Card or a ListView (`Basic` roots are not emitted). */
export const WidgetRootSchema = v.variant('type', [CardSchema, ListViewSchema]);
export type WidgetRoot = v.InferOutput<typeof WidgetRootSchema>;

// --- task widget actions ---------------------------------------------------------------------------

/** The actions the task widget's buttons send (`threads.custom_action` / `threads.sync_custom_action`). */
export const TASK_ACTION_TYPES = ['tasks.complete', 'tasks.reopen', 'tasks.delete'] as const;
export type TaskActionType = (typeof TASK_ACTION_TYPES)[number];

/** `{task_id}`: the origin's task id, a positive integer (a numeric string is not one). */
export const TaskActionPayloadSchema = v.looseObject({
  task_id: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER)),
});

export const TaskActionSchema = v.looseObject({ type: v.picklist(TASK_ACTION_TYPES), payload: TaskActionPayloadSchema });
export type TaskAction = v.InferOutput<typeof TaskActionSchema>;
