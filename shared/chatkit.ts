import * as v from 'valibot';
import { WidgetComponentSchema, WidgetRootSchema } from './chatkit-widgets';

/**
 * ChatKit's self-hosted server protocol (README "ChatKit: two modes"; chatkit-python v1.6.5
 * wire names): what the web component POSTs to `/api/chatkit` and what the worker answers.
 *
 * Two deliberately different halves:
 * - requests are parsed leniently (`v.looseObject`: the closed-source client may add fields;
 *   `quoted_text` may be `""` or null, tags may lack `data`, `inference_options` may be `{}`);
 * - responses and stream events are strict (`v.strictObject`): null fields are left out instead
 *   of sent as null, and the arrays / objects chatkit-python always serialises (`attachments: []`,
 *   `annotations: []`, `metadata: {}`) must be present. The worker validates what it emits in
 *   tests, so a shape drift fails a test rather than the closed-source client.
 */

// --- thread ids ------------------------------------------------------------------------------------

const THREAD_ID = /^thr_([1-9]\d{0,14})$/;

/** A conversation's ChatKit thread id: `thr_<conversation id>` (the worker and the SPA both map it). */
export function threadIdFor(conversationId: number): string {
  return `thr_${conversationId}`;
}

/** The conversation id of a thread id, or null when it is not one of ours (strict: no leading zero, sign or space). */
export function parseThreadId(threadId: string): number | null {
  const match = THREAD_ID.exec(threadId);
  return match?.[1] ? Number(match[1]) : null;
}

// --- shared pieces -----------------------------------------------------------------------------

const JsonObjectSchema = v.record(v.string(), v.unknown());
const IsoTimeSchema = v.pipe(v.string(), v.isoTimestamp());
const NonNegativeIntSchema = v.pipe(v.number(), v.integer(), v.minValue(0));
/** chatkit-python types icons as a closed `IconName` list that grows; `lucide:<name>` is allowed too. */
const IconSchema = v.pipe(v.string(), v.minLength(1));

export const FeedbackKindSchema = v.picklist(['positive', 'negative']);
export type FeedbackKind = v.InferOutput<typeof FeedbackKindSchema>;

export const SortOrderSchema = v.picklist(['asc', 'desc']);
export type SortOrder = v.InferOutput<typeof SortOrderSchema>;

// --- requests (lenient) --------------------------------------------------------------------------

export const UserMessageTextInputSchema = v.looseObject({ type: v.literal('input_text'), text: v.string() });
export const UserMessageTagInputSchema = v.looseObject({
  type: v.literal('input_tag'),
  id: v.string(),
  text: v.string(),
  // chatkit-python requires `data`, the npm types mark it optional: a missing one becomes `{}`.
  data: v.nullish(JsonObjectSchema, {}),
  group: v.nullish(v.string()),
  interactive: v.nullish(v.boolean(), false),
});
export const UserMessageContentInputSchema = v.variant('type', [UserMessageTextInputSchema, UserMessageTagInputSchema]);
export type UserMessageContentInput = v.InferOutput<typeof UserMessageContentInputSchema>;

export const InferenceOptionsInputSchema = v.looseObject({
  tool_choice: v.nullish(v.looseObject({ id: v.string() })),
  model: v.nullish(v.string()),
});

export const UserMessageInputSchema = v.looseObject({
  content: v.array(UserMessageContentInputSchema),
  // Required by chatkit-python; defaulted here so an older or newer client that omits them still works.
  attachments: v.nullish(v.array(v.string()), []),
  quoted_text: v.nullish(v.string()),
  inference_options: v.nullish(InferenceOptionsInputSchema, {}),
});
export type UserMessageInput = v.InferOutput<typeof UserMessageInputSchema>;

/** `limit` null or 0 means 20 (chatkit-python); negative or fractional is invalid. */
const PageParamsEntries = {
  limit: v.nullish(NonNegativeIntSchema),
  order: v.nullish(SortOrderSchema),
  after: v.nullish(v.string()),
};

export const ActionInputSchema = v.looseObject({ type: v.string(), payload: v.optional(v.unknown()) });

/** The envelope's optional `metadata` (chatkit-python defaults it to `{}` and ignores it). */
const envelope = <TType extends string, TParams extends v.GenericSchema>(type: TType, params: TParams) =>
  v.looseObject({ type: v.literal(type), params, metadata: v.nullish(JsonObjectSchema) });

const customActionParams = v.looseObject({ thread_id: v.string(), item_id: v.nullish(v.string()), action: ActionInputSchema });

export const ThreadsCreateRequestSchema = envelope('threads.create', v.looseObject({ input: UserMessageInputSchema }));
export const ThreadsAddUserMessageRequestSchema = envelope('threads.add_user_message', v.looseObject({ thread_id: v.string(), input: UserMessageInputSchema }));
export const ThreadsAddClientToolOutputRequestSchema = envelope(
  'threads.add_client_tool_output',
  v.looseObject({ thread_id: v.string(), result: v.unknown() }),
);
export const ThreadsAddStructuredInputRequestSchema = envelope(
  'threads.add_structured_input',
  v.looseObject({
    thread_id: v.string(),
    item_id: v.string(),
    input: v.looseObject({
      status: v.nullish(v.picklist(['answered', 'skipped']), 'answered'),
      answers: v.nullish(v.record(v.string(), v.looseObject({ values: v.nullish(v.array(v.string()), []), skipped: v.nullish(v.boolean(), false) })), {}),
    }),
  }),
);
export const ThreadsRetryAfterItemRequestSchema = envelope('threads.retry_after_item', v.looseObject({ thread_id: v.string(), item_id: v.string() }));
export const ThreadsCustomActionRequestSchema = envelope('threads.custom_action', customActionParams);
export const ThreadsSyncCustomActionRequestSchema = envelope('threads.sync_custom_action', customActionParams);
export const ThreadsGetByIdRequestSchema = envelope('threads.get_by_id', v.looseObject({ thread_id: v.string() }));
export const ThreadsListRequestSchema = envelope('threads.list', v.looseObject(PageParamsEntries));
export const ItemsListRequestSchema = envelope('items.list', v.looseObject({ thread_id: v.string(), ...PageParamsEntries }));
export const ThreadsUpdateRequestSchema = envelope('threads.update', v.looseObject({ thread_id: v.string(), title: v.string() }));
export const ThreadsDeleteRequestSchema = envelope('threads.delete', v.looseObject({ thread_id: v.string() }));
export const ItemsFeedbackRequestSchema = envelope(
  'items.feedback',
  v.looseObject({ thread_id: v.string(), item_ids: v.array(v.string()), kind: FeedbackKindSchema }),
);
export const AttachmentsCreateRequestSchema = envelope(
  'attachments.create',
  v.looseObject({ name: v.string(), size: NonNegativeIntSchema, mime_type: v.string() }),
);
export const AttachmentsDeleteRequestSchema = envelope('attachments.delete', v.looseObject({ attachment_id: v.string() }));
export const InputTranscribeRequestSchema = envelope('input.transcribe', v.looseObject({ audio_base64: v.string(), mime_type: v.string() }));

/** Every request type, discriminated on `type`. An unknown `type` fails validation. */
export const ChatkitRequestSchema = v.variant('type', [
  ThreadsCreateRequestSchema,
  ThreadsAddUserMessageRequestSchema,
  ThreadsAddClientToolOutputRequestSchema,
  ThreadsAddStructuredInputRequestSchema,
  ThreadsRetryAfterItemRequestSchema,
  ThreadsCustomActionRequestSchema,
  ThreadsSyncCustomActionRequestSchema,
  ThreadsGetByIdRequestSchema,
  ThreadsListRequestSchema,
  ItemsListRequestSchema,
  ThreadsUpdateRequestSchema,
  ThreadsDeleteRequestSchema,
  ItemsFeedbackRequestSchema,
  AttachmentsCreateRequestSchema,
  AttachmentsDeleteRequestSchema,
  InputTranscribeRequestSchema,
]);
export type ChatkitRequest = v.InferOutput<typeof ChatkitRequestSchema>;
export type ChatkitRequestType = ChatkitRequest['type'];
/** One request of the given type, e.g. `ChatkitRequestOf<'threads.list'>`. */
export type ChatkitRequestOf<T extends ChatkitRequestType> = Extract<ChatkitRequest, { type: T }>;

/** The envelope alone, to tell "not a ChatKit request" from "unknown type" from "bad params". */
export const ChatkitEnvelopeSchema = v.looseObject({
  type: v.pipe(v.string(), v.minLength(1)),
  params: JsonObjectSchema,
  metadata: v.nullish(JsonObjectSchema),
});

/** The types chatkit-python answers with SSE; every other type answers one JSON document. */
export const STREAMING_REQUEST_TYPES = [
  'threads.create',
  'threads.add_user_message',
  'threads.add_client_tool_output',
  'threads.add_structured_input',
  'threads.retry_after_item',
  'threads.custom_action',
] as const satisfies readonly ChatkitRequestType[];
export type StreamingRequestType = (typeof STREAMING_REQUEST_TYPES)[number];

export function isStreamingRequestType(type: string): type is StreamingRequestType {
  return (STREAMING_REQUEST_TYPES as readonly string[]).includes(type);
}

export const CHATKIT_REQUEST_TYPES = ChatkitRequestSchema.options.map((option) => option.entries.type.literal);

// --- responses: sources, annotations, attachments (strict) ----------------------------------------

const SourceBaseEntries = {
  title: v.string(),
  description: v.optional(v.string()),
  timestamp: v.optional(v.string()),
  group: v.optional(v.string()),
};
export const UrlSourceSchema = v.strictObject({
  type: v.literal('url'),
  ...SourceBaseEntries,
  url: v.string(),
  attribution: v.optional(v.string()),
});
export const FileSourceSchema = v.strictObject({ type: v.literal('file'), ...SourceBaseEntries, filename: v.string() });
export const EntitySourceSchema = v.strictObject({
  type: v.literal('entity'),
  ...SourceBaseEntries,
  id: v.string(),
  icon: v.optional(IconSchema),
  label: v.optional(v.string()),
  inline_label: v.optional(v.string()),
  interactive: v.boolean(),
  data: JsonObjectSchema,
});
export const SourceSchema = v.variant('type', [UrlSourceSchema, FileSourceSchema, EntitySourceSchema]);

export const AnnotationSchema = v.strictObject({
  type: v.literal('annotation'),
  source: SourceSchema,
  /** Character position in the text where the footnote marker goes. */
  index: v.optional(NonNegativeIntSchema),
});
export type Annotation = v.InferOutput<typeof AnnotationSchema>;

const UploadDescriptorSchema = v.strictObject({
  url: v.pipe(v.string(), v.url()),
  method: v.picklist(['POST', 'PUT']),
  headers: v.record(v.string(), v.string()),
});
/** The server-side `metadata` of an attachment is never serialised, hence not in these shapes. */
const AttachmentBaseEntries = {
  id: v.string(),
  name: v.string(),
  mime_type: v.string(),
  upload_descriptor: v.optional(UploadDescriptorSchema),
  thread_id: v.optional(v.string()),
};
export const FileAttachmentSchema = v.strictObject({ type: v.literal('file'), ...AttachmentBaseEntries });
export const ImageAttachmentSchema = v.strictObject({
  type: v.literal('image'),
  ...AttachmentBaseEntries,
  preview_url: v.pipe(v.string(), v.url()),
});
export const AttachmentSchema = v.variant('type', [FileAttachmentSchema, ImageAttachmentSchema]);
export type Attachment = v.InferOutput<typeof AttachmentSchema>;

// --- responses: tasks and workflows --------------------------------------------------------------

export const TaskStatusIndicatorSchema = v.picklist(['none', 'loading', 'complete']);
const TaskBaseEntries = { status_indicator: TaskStatusIndicatorSchema, title: v.optional(v.string()) };

export const CustomTaskSchema = v.strictObject({
  type: v.literal('custom'),
  ...TaskBaseEntries,
  icon: v.optional(IconSchema),
  content: v.optional(v.string()),
});
export const WebSearchTaskSchema = v.strictObject({
  type: v.literal('web_search'),
  ...TaskBaseEntries,
  title_query: v.optional(v.string()),
  queries: v.array(v.string()),
  sources: v.array(UrlSourceSchema),
});
export const ThoughtTaskSchema = v.strictObject({ type: v.literal('thought'), ...TaskBaseEntries, content: v.string() });
export const FileTaskSchema = v.strictObject({ type: v.literal('file'), ...TaskBaseEntries, sources: v.array(FileSourceSchema) });
export const ImageTaskSchema = v.strictObject({ type: v.literal('image'), ...TaskBaseEntries });
export const TaskSchema = v.variant('type', [CustomTaskSchema, WebSearchTaskSchema, ThoughtTaskSchema, FileTaskSchema, ImageTaskSchema]);
export type Task = v.InferOutput<typeof TaskSchema>;
export type CustomTask = v.InferOutput<typeof CustomTaskSchema>;

export const WorkflowSummarySchema = v.union([
  v.strictObject({ title: v.string(), icon: v.optional(IconSchema) }),
  v.strictObject({ duration: NonNegativeIntSchema }),
]);
export const WorkflowSchema = v.strictObject({
  type: v.picklist(['custom', 'reasoning']),
  tasks: v.array(TaskSchema),
  summary: v.optional(WorkflowSummarySchema),
  expanded: v.boolean(),
});
export type Workflow = v.InferOutput<typeof WorkflowSchema>;

// --- responses: thread items ---------------------------------------------------------------------

// Widget trees (issue 18): the roots and components the task widget uses, strict, in their own file.
export { WidgetComponentSchema, WidgetRootSchema } from './chatkit-widgets';

export const UserMessageTextContentSchema = v.strictObject({ type: v.literal('input_text'), text: v.string() });
export const UserMessageTagContentSchema = v.strictObject({
  type: v.literal('input_tag'),
  id: v.string(),
  text: v.string(),
  data: JsonObjectSchema,
  group: v.optional(v.string()),
  interactive: v.boolean(),
});
export const UserMessageContentSchema = v.variant('type', [UserMessageTextContentSchema, UserMessageTagContentSchema]);
export type UserMessageContent = v.InferOutput<typeof UserMessageContentSchema>;

export const InferenceOptionsSchema = v.strictObject({
  tool_choice: v.optional(v.strictObject({ id: v.string() })),
  model: v.optional(v.string()),
});
export type InferenceOptions = v.InferOutput<typeof InferenceOptionsSchema>;

export const AssistantMessageContentSchema = v.strictObject({
  type: v.literal('output_text'),
  text: v.string(),
  annotations: v.array(AnnotationSchema),
});
export type AssistantMessageContent = v.InferOutput<typeof AssistantMessageContentSchema>;

const ItemBaseEntries = { id: v.pipe(v.string(), v.minLength(1)), thread_id: v.pipe(v.string(), v.minLength(1)), created_at: IsoTimeSchema };

export const UserMessageItemSchema = v.strictObject({
  type: v.literal('user_message'),
  ...ItemBaseEntries,
  content: v.array(UserMessageContentSchema),
  attachments: v.array(AttachmentSchema),
  quoted_text: v.optional(v.string()),
  inference_options: InferenceOptionsSchema,
});
export const AssistantMessageItemSchema = v.strictObject({
  type: v.literal('assistant_message'),
  ...ItemBaseEntries,
  content: v.array(AssistantMessageContentSchema),
});
export const ClientToolCallItemSchema = v.strictObject({
  type: v.literal('client_tool_call'),
  ...ItemBaseEntries,
  status: v.picklist(['pending', 'completed']),
  call_id: v.string(),
  name: v.string(),
  arguments: JsonObjectSchema,
  output: v.optional(v.unknown()),
});
export const WidgetItemSchema = v.strictObject({
  type: v.literal('widget'),
  ...ItemBaseEntries,
  widget: WidgetRootSchema,
  copy_text: v.optional(v.string()),
});
export const GeneratedImageSchema = v.strictObject({ id: v.string(), url: v.string() });
export const GeneratedImageItemSchema = v.strictObject({
  type: v.literal('generated_image'),
  ...ItemBaseEntries,
  image: v.optional(GeneratedImageSchema),
});
const StructuredInputAnswerSchema = v.strictObject({ values: v.array(v.string()), skipped: v.boolean() });
export const StructuredInputSchema = v.variant('type', [
  v.strictObject({
    type: v.literal('multiple_choice'),
    id: v.string(),
    question: v.string(),
    options: v.array(v.strictObject({ value: v.string() })),
    multiple: v.boolean(),
    answer: v.optional(StructuredInputAnswerSchema),
  }),
  v.strictObject({
    type: v.literal('freeform'),
    id: v.string(),
    question: v.string(),
    description: v.optional(v.string()),
    answer: v.optional(StructuredInputAnswerSchema),
  }),
]);
export const StructuredInputItemSchema = v.strictObject({
  type: v.literal('structured_input'),
  ...ItemBaseEntries,
  status: v.picklist(['pending', 'answered', 'skipped']),
  inputs: v.array(StructuredInputSchema),
});
export const WorkflowItemSchema = v.strictObject({ type: v.literal('workflow'), ...ItemBaseEntries, workflow: WorkflowSchema });
export const TaskItemSchema = v.strictObject({ type: v.literal('task'), ...ItemBaseEntries, task: TaskSchema });
export const EndOfTurnItemSchema = v.strictObject({ type: v.literal('end_of_turn'), ...ItemBaseEntries });

/**
 * Every item the client may see. chatkit-python's union also holds `hidden_context_item` and
 * `sdk_hidden_context`, which are server-only and filtered from every response and stream: they
 * are left out here on purpose, so emitting one fails validation.
 */
export const ThreadItemSchema = v.variant('type', [
  UserMessageItemSchema,
  AssistantMessageItemSchema,
  ClientToolCallItemSchema,
  WidgetItemSchema,
  GeneratedImageItemSchema,
  StructuredInputItemSchema,
  WorkflowItemSchema,
  TaskItemSchema,
  EndOfTurnItemSchema,
]);
export type ThreadItem = v.InferOutput<typeof ThreadItemSchema>;
export type UserMessageItem = v.InferOutput<typeof UserMessageItemSchema>;
export type AssistantMessageItem = v.InferOutput<typeof AssistantMessageItemSchema>;
export type WorkflowItem = v.InferOutput<typeof WorkflowItemSchema>;
export type WidgetItem = v.InferOutput<typeof WidgetItemSchema>;

// --- responses: pages and threads ----------------------------------------------------------------

/**
 * `{data, has_more, after?}`: `after` is the id of the page's last element when `has_more`, and
 * left out otherwise.
 */
export function PageSchema<TItem extends v.GenericSchema<unknown, { id: string }>>(item: TItem) {
  return v.pipe(
    v.strictObject({ data: v.array(item), has_more: v.boolean(), after: v.optional(v.string()) }),
    v.check(
      (page) => (page.has_more ? page.after !== undefined && page.after === page.data.at(-1)?.id : page.after === undefined),
      '`after` must be the last id of the page when has_more is true, and absent otherwise',
    ),
  );
}
export interface Page<T> {
  data: T[];
  has_more: boolean;
  after?: string;
}

export const ThreadStatusSchema = v.variant('type', [
  v.strictObject({ type: v.literal('active') }),
  v.strictObject({ type: v.literal('locked'), reason: v.optional(v.string()) }),
  v.strictObject({ type: v.literal('closed'), reason: v.optional(v.string()) }),
]);
export type ThreadStatus = v.InferOutput<typeof ThreadStatusSchema>;

export const ThreadItemPageSchema = PageSchema(ThreadItemSchema);

export const ThreadSchema = v.strictObject({
  id: v.pipe(v.string(), v.minLength(1)),
  /** Left out while the thread is untitled. */
  title: v.optional(v.string()),
  created_at: IsoTimeSchema,
  status: ThreadStatusSchema,
  allowed_image_domains: v.optional(v.array(v.string())),
  /** Always `{}` on the wire: private thread metadata never reaches the client. */
  metadata: v.strictObject({}),
  items: ThreadItemPageSchema,
});
export type Thread = v.InferOutput<typeof ThreadSchema>;

/** `thread.created`, `thread.updated`, `threads.list` and `threads.update` carry no items. */
export const ThreadWithoutItemsSchema = v.pipe(
  ThreadSchema,
  v.check((thread) => thread.items.data.length === 0 && !thread.items.has_more, 'this thread must carry an empty items page'),
);

export const ThreadPageSchema = PageSchema(ThreadWithoutItemsSchema);

// --- responses: non-streaming documents ----------------------------------------------------------

/** `threads.delete`, `items.feedback`, `attachments.delete`. */
export const EmptyResponseSchema = v.strictObject({});
export const SyncCustomActionResponseSchema = v.strictObject({ updated_item: v.optional(ThreadItemSchema) });
export type SyncCustomActionResponse = v.InferOutput<typeof SyncCustomActionResponseSchema>;
export const TranscriptionResultSchema = v.strictObject({ text: v.string() });

// --- stream events: item updates ------------------------------------------------------------------

const ContentIndexSchema = NonNegativeIntSchema;

export const ThreadItemUpdateSchema = v.variant('type', [
  v.strictObject({ type: v.literal('assistant_message.content_part.added'), content_index: ContentIndexSchema, content: AssistantMessageContentSchema }),
  v.strictObject({ type: v.literal('assistant_message.content_part.text_delta'), content_index: ContentIndexSchema, delta: v.string() }),
  v.strictObject({
    type: v.literal('assistant_message.content_part.annotation_added'),
    content_index: ContentIndexSchema,
    annotation_index: NonNegativeIntSchema,
    annotation: AnnotationSchema,
  }),
  v.strictObject({ type: v.literal('assistant_message.content_part.done'), content_index: ContentIndexSchema, content: AssistantMessageContentSchema }),
  v.strictObject({ type: v.literal('widget.streaming_text.value_delta'), component_id: v.string(), delta: v.string(), done: v.boolean() }),
  v.strictObject({ type: v.literal('widget.component.updated'), component_id: v.string(), component: WidgetComponentSchema }),
  v.strictObject({ type: v.literal('widget.root.updated'), widget: WidgetRootSchema }),
  v.strictObject({ type: v.literal('workflow.task.added'), task_index: NonNegativeIntSchema, task: TaskSchema }),
  v.strictObject({ type: v.literal('workflow.task.updated'), task_index: NonNegativeIntSchema, task: TaskSchema }),
  v.strictObject({
    type: v.literal('generated_image.updated'),
    image: GeneratedImageSchema,
    progress: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
  }),
]);
export type ThreadItemUpdate = v.InferOutput<typeof ThreadItemUpdateSchema>;

// --- stream events ------------------------------------------------------------------------------

/** `custom` carries a user-facing `message`; `stream.error` makes the client show its own text. */
export const StreamErrorCodeSchema = v.picklist(['custom', 'stream.error']);

export const ThreadStreamEventSchema = v.variant('type', [
  v.strictObject({ type: v.literal('thread.created'), thread: ThreadWithoutItemsSchema }),
  v.strictObject({ type: v.literal('thread.updated'), thread: ThreadWithoutItemsSchema }),
  v.strictObject({ type: v.literal('thread.item.added'), item: ThreadItemSchema }),
  v.strictObject({ type: v.literal('thread.item.updated'), item_id: v.string(), update: ThreadItemUpdateSchema }),
  v.strictObject({ type: v.literal('thread.item.done'), item: ThreadItemSchema }),
  v.strictObject({ type: v.literal('thread.item.removed'), item_id: v.string() }),
  v.strictObject({ type: v.literal('thread.item.replaced'), item: ThreadItemSchema }),
  v.strictObject({ type: v.literal('stream_options'), stream_options: v.strictObject({ allow_cancel: v.boolean() }) }),
  v.strictObject({ type: v.literal('progress_update'), icon: v.optional(IconSchema), text: v.string() }),
  v.strictObject({ type: v.literal('client_effect'), name: v.pipe(v.string(), v.minLength(1)), data: JsonObjectSchema }),
  v.strictObject({ type: v.literal('error'), code: StreamErrorCodeSchema, message: v.optional(v.string()), allow_retry: v.boolean() }),
  v.strictObject({
    type: v.literal('notice'),
    level: v.picklist(['info', 'warning', 'danger']),
    message: v.string(),
    title: v.optional(v.string()),
  }),
]);
export type ThreadStreamEvent = v.InferOutput<typeof ThreadStreamEventSchema>;
export type ThreadStreamEventType = ThreadStreamEvent['type'];
/** One event of the given type, e.g. `ThreadStreamEventOf<'thread.item.done'>`. */
export type ThreadStreamEventOf<T extends ThreadStreamEventType> = Extract<ThreadStreamEvent, { type: T }>;
