/*
 * The Klaviyo endpoints klaviyo-sandbox serves: one table row each (path,
 * scope, rate limits and parameters as the spec's operation states them)
 * pointing at a generator that builds an account's whole collection at
 * start, or at a handler.  Adding a GET collection endpoint means adding
 * a row and a generator; sbx_handle_collection does the rest.
 */
#include "sandbox.h"

#include <stdio.h>
#include <string.h>

#include "endpoints.h"
#include "webhooks.h"

/* Parameters, as each operation in the spec declares them. */

static const char *const account_fields[] = {
	"contact_information", "contact_information.default_sender_email",
	"contact_information.default_sender_name",
	"contact_information.organization_name",
	"contact_information.street_address",
	"contact_information.street_address.address1",
	"contact_information.street_address.address2",
	"contact_information.street_address.city",
	"contact_information.street_address.country",
	"contact_information.street_address.region",
	"contact_information.street_address.zip",
	"contact_information.website_url", "id", "industry", "locale",
	"preferred_currency", "public_api_key", "test_account", "timezone",
	NULL
};
static const char *const flow_fields[] = { "archived", "created", "id",
	"name", "status", "trigger_type", "updated", NULL };
static const char *const metric_fields[] = { "created", "id",
	"integration", "name", "updated", NULL };
static const char *const custom_metric_fields[] = { "created",
	"definition", "definition.aggregation_method",
	"definition.metric_groups", "id", "name", "updated", NULL };
static const char *const list_fields[] = { "created", "id", "name",
	"opt_in_process", "updated", NULL };
static const char *const tag_fields[] = { "id", "name", NULL };
static const char *const inc_flow_triggers[] = { "flow-triggers", NULL };
static const char *const inc_metrics[] = { "metrics", NULL };
static const char *const inc_list[] = { "flow-triggers", "tags", NULL };
static const char *const list_sorts[] = { "created", "-created", "id",
	"-id", "name", "-name", "updated", "-updated", NULL };

/* Generated from stable.json (x-klaviyo fields, include, sort enums). */
static const char *const fields_campaign_message[] = {
	"created_at", "definition", "definition.channel",
	"definition.content", "definition.content.action_buttons",
	"definition.content.bcc_email", "definition.content.body",
	"definition.content.cc_email", "definition.content.dynamic_image",
	"definition.content.from_email", "definition.content.from_label",
	"definition.content.media_url", "definition.content.preview_text",
	"definition.content.reply_to_email", "definition.content.subject",
	"definition.content.title", "definition.kv_pairs", "definition.label",
	"definition.notification_type", "definition.options",
	"definition.options.badge", "definition.options.badge.badge_options",
	"definition.options.badge.badge_options.badge_config",
	"definition.options.badge.badge_options.set_from_property",
	"definition.options.badge.badge_options.value",
	"definition.options.badge.display", "definition.options.on_open",
	"definition.options.on_open.android_deep_link",
	"definition.options.on_open.ios_deep_link",
	"definition.options.on_open.type",
	"definition.options.on_open.web_url", "definition.options.play_sound",
	"definition.render_options",
	"definition.render_options.add_info_link",
	"definition.render_options.add_opt_out_language",
	"definition.render_options.add_org_prefix",
	"definition.render_options.shorten_links", "id", "send_times",
	"updated_at", NULL
};
static const char *const fields_campaign[] = {
	"archived", "audiences", "audiences.excluded", "audiences.included",
	"created_at", "id", "name", "scheduled_at", "send_options",
	"send_options.use_smart_sending", "send_strategy",
	"send_strategy.date", "send_strategy.datetime",
	"send_strategy.method", "send_strategy.options",
	"send_strategy.options.is_local",
	"send_strategy.options.send_past_recipients_immediately",
	"send_strategy.throttle_percentage", "send_time", "status",
	"tracking_options", "tracking_options.add_tracking_params",
	"tracking_options.custom_tracking_params",
	"tracking_options.is_tracking_clicks",
	"tracking_options.is_tracking_opens", "updated_at", NULL
};
static const char *const inc_campaigns[] = {
	"campaign-messages", "tags", NULL
};
static const char *const sort_campaigns[] = {
	"created_at", "-created_at", "id", "-id", "name", "-name",
	"scheduled_at", "-scheduled_at", "updated_at", "-updated_at", NULL
};
static const char *const fields_flow_action[] = {
	"created", "definition", "definition.data",
	"definition.data.action_output_filter",
	"definition.data.action_output_filter.condition_groups",
	"definition.data.branches", "definition.data.current_experiment",
	"definition.data.current_experiment.allocations",
	"definition.data.current_experiment.automatic_winner_selection_settings",
	"definition.data.current_experiment.automatic_winner_selection_settings.automatic_end_date",
	"definition.data.current_experiment.automatic_winner_selection_settings.automatic_end_statistical_certainty",
	"definition.data.current_experiment.automatic_winner_selection_settings.enabled",
	"definition.data.current_experiment.id",
	"definition.data.current_experiment.name",
	"definition.data.current_experiment.started",
	"definition.data.current_experiment.variations",
	"definition.data.current_experiment.winner_metric",
	"definition.data.delay_until_time",
	"definition.data.delay_until_weekdays",
	"definition.data.experiment_status", "definition.data.list_id",
	"definition.data.main_action", "definition.data.main_action.data",
	"definition.data.main_action.data.message",
	"definition.data.main_action.data.message.action_buttons",
	"definition.data.main_action.data.message.add_info_link",
	"definition.data.main_action.data.message.add_opt_out_language",
	"definition.data.main_action.data.message.add_org_prefix",
	"definition.data.main_action.data.message.add_tracking_params",
	"definition.data.main_action.data.message.additional_filters",
	"definition.data.main_action.data.message.additional_filters.condition_groups",
	"definition.data.main_action.data.message.android_link",
	"definition.data.main_action.data.message.badge",
	"definition.data.main_action.data.message.badge_options",
	"definition.data.main_action.data.message.badge_options.badge_config",
	"definition.data.main_action.data.message.badge_options.set_from_property",
	"definition.data.main_action.data.message.badge_options.value",
	"definition.data.main_action.data.message.bcc_email",
	"definition.data.main_action.data.message.body",
	"definition.data.main_action.data.message.cc_email",
	"definition.data.main_action.data.message.conversion_metric_id",
	"definition.data.main_action.data.message.custom_tracking_params",
	"definition.data.main_action.data.message.dynamic_image",
	"definition.data.main_action.data.message.from_email",
	"definition.data.main_action.data.message.from_label",
	"definition.data.main_action.data.message.id",
	"definition.data.main_action.data.message.image_id",
	"definition.data.main_action.data.message.include_contact_card",
	"definition.data.main_action.data.message.ios_link",
	"definition.data.main_action.data.message.kv_pairs",
	"definition.data.main_action.data.message.message_hierarchy",
	"definition.data.main_action.data.message.name",
	"definition.data.main_action.data.message.on_open",
	"definition.data.main_action.data.message.preview_text",
	"definition.data.main_action.data.message.push_type",
	"definition.data.main_action.data.message.reply_to_email",
	"definition.data.main_action.data.message.shorten_links",
	"definition.data.main_action.data.message.smart_sending_enabled",
	"definition.data.main_action.data.message.sms_quiet_hours_enabled",
	"definition.data.main_action.data.message.sound",
	"definition.data.main_action.data.message.subject_line",
	"definition.data.main_action.data.message.template_id",
	"definition.data.main_action.data.message.title",
	"definition.data.main_action.data.message.transactional",
	"definition.data.main_action.data.message.vendor_id",
	"definition.data.main_action.data.message.video_asset_id",
	"definition.data.main_action.data.message.web_url",
	"definition.data.main_action.data.status",
	"definition.data.main_action.id", "definition.data.main_action.links",
	"definition.data.main_action.links.next",
	"definition.data.main_action.temporary_id",
	"definition.data.main_action.type", "definition.data.message",
	"definition.data.message.action_buttons",
	"definition.data.message.add_info_link",
	"definition.data.message.add_opt_out_language",
	"definition.data.message.add_org_prefix",
	"definition.data.message.add_tracking_params",
	"definition.data.message.additional_filters",
	"definition.data.message.additional_filters.condition_groups",
	"definition.data.message.android_link",
	"definition.data.message.badge",
	"definition.data.message.badge_options",
	"definition.data.message.badge_options.badge_config",
	"definition.data.message.badge_options.set_from_property",
	"definition.data.message.badge_options.value",
	"definition.data.message.bcc_email", "definition.data.message.body",
	"definition.data.message.cc_email",
	"definition.data.message.conversion_metric_id",
	"definition.data.message.custom_tracking_params",
	"definition.data.message.dynamic_image",
	"definition.data.message.from_email",
	"definition.data.message.from_label",
	"definition.data.message.headers", "definition.data.message.id",
	"definition.data.message.image_id",
	"definition.data.message.include_contact_card",
	"definition.data.message.ios_link",
	"definition.data.message.kv_pairs",
	"definition.data.message.message_hierarchy",
	"definition.data.message.name", "definition.data.message.on_open",
	"definition.data.message.preview_text",
	"definition.data.message.push_type",
	"definition.data.message.reply_to_email",
	"definition.data.message.shorten_links",
	"definition.data.message.smart_sending_enabled",
	"definition.data.message.sms_quiet_hours_enabled",
	"definition.data.message.sound",
	"definition.data.message.subject_line",
	"definition.data.message.template_id",
	"definition.data.message.title", "definition.data.message.to_emails",
	"definition.data.message.transactional",
	"definition.data.message.url", "definition.data.message.vendor_id",
	"definition.data.message.video_asset_id",
	"definition.data.message.web_url", "definition.data.name",
	"definition.data.on_execution", "definition.data.profile_filter",
	"definition.data.profile_filter.condition_groups",
	"definition.data.profile_operations",
	"definition.data.secondary_value",
	"definition.data.service_configuration",
	"definition.data.service_configuration.event_key",
	"definition.data.service_configuration.event_payload",
	"definition.data.service_configuration.report_id",
	"definition.data.service_configuration.service_method_type",
	"definition.data.service_configuration.tracking_company_id",
	"definition.data.status", "definition.data.target_days",
	"definition.data.target_time", "definition.data.timezone",
	"definition.data.trigger_filter",
	"definition.data.trigger_filter.condition_groups",
	"definition.data.trigger_id", "definition.data.trigger_subtype",
	"definition.data.trigger_type", "definition.data.unit",
	"definition.data.value", "definition.id", "definition.links",
	"definition.links.next", "definition.links.next_if_false",
	"definition.links.next_if_true", "definition.temporary_id",
	"definition.type", "id", "updated", NULL
};
static const char *const inc_flows[] = {
	"flow-actions", "tags", NULL
};
static const char *const sort_flows[] = {
	"created", "-created", "id", "-id", "name", "-name", "status",
	"-status", "trigger_type", "-trigger_type", "updated", "-updated", NULL
};
static const char *const fields_segment[] = {
	"created", "definition", "definition.condition_groups", "id",
	"is_active", "is_processing", "is_starred", "name", "updated", NULL
};
static const char *const inc_segments[] = {
	"flow-triggers", "tags", NULL
};
static const char *const sort_segments[] = {
	"created", "-created", "id", "-id", "name", "-name", "updated",
	"-updated", NULL
};
static const char *const fields_form[] = {
	"ab_test", "created_at", "id", "name", "status", "updated_at", NULL
};
static const char *const sort_forms[] = {
	"created_at", "-created_at", "updated_at", "-updated_at", NULL
};
static const char *const fields_attribution[] = {
	"id", NULL
};
static const char *const fields_event[] = {
	"datetime", "event_properties", "id", "timestamp", "uuid", NULL
};
static const char *const fields_profile[] = {
	"created", "email", "external_id", "first_name", "id", "image",
	"last_event_date", "last_name", "locale", "location",
	"location.address1", "location.address2", "location.city",
	"location.country", "location.ip", "location.latitude",
	"location.longitude", "location.region", "location.timezone",
	"location.zip", "organization", "phone_number", "properties", "title",
	"updated", NULL
};
static const char *const inc_events[] = {
	"attributions", "metric", "profile", NULL
};
static const char *const sort_events[] = {
	"datetime", "-datetime", "timestamp", "-timestamp", NULL
};
static const char *const fields_campaign_values_report[] = {
	"id", "results", NULL
};
static const char *const fields_flow_values_report[] = {
	"id", "results", NULL
};
static const char *const fields_flow_series_report[] = {
	"date_times", "id", "results", NULL
};
static const char *const fields_form_values_report[] = {
	"id", "results", NULL
};
static const char *const fields_form_series_report[] = {
	"date_times", "id", "results", NULL
};
static const char *const fields_segment_values_report[] = {
	"id", "results", NULL
};
static const char *const fields_segment_series_report[] = {
	"date_times", "id", "results", NULL
};

static const struct sbx_param p_accounts[] = {
	{ "fields[account]", SBX_P_FIELDS, account_fields },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_metrics[] = {
	{ "fields[flow]", SBX_P_FIELDS, flow_fields },
	{ "fields[metric]", SBX_P_FIELDS, metric_fields },
	{ "filter", SBX_P_FILTER, NULL },
	{ "include", SBX_P_INCLUDE, inc_flow_triggers },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_custom_metrics[] = {
	{ "fields[custom-metric]", SBX_P_FIELDS, custom_metric_fields },
	{ "fields[metric]", SBX_P_FIELDS, metric_fields },
	{ "include", SBX_P_INCLUDE, inc_metrics },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_lists[] = {
	{ "fields[flow]", SBX_P_FIELDS, flow_fields },
	{ "fields[list]", SBX_P_FIELDS, list_fields },
	{ "fields[tag]", SBX_P_FIELDS, tag_fields },
	{ "filter", SBX_P_FILTER, NULL },
	{ "include", SBX_P_INCLUDE, inc_list },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ "page[size]", SBX_P_SIZE, NULL },
	{ "sort", SBX_P_SORT, list_sorts },
	{ NULL, SBX_P_FIELDS, NULL }
};

static const struct sbx_param p_campaigns[] = {
	{ "fields[campaign-message]", SBX_P_FIELDS, fields_campaign_message },
	{ "fields[campaign]", SBX_P_FIELDS, fields_campaign },
	{ "fields[tag]", SBX_P_FIELDS, tag_fields },
	{ "filter", SBX_P_FILTER, NULL },
	{ "include", SBX_P_INCLUDE, inc_campaigns },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ "page[size]", SBX_P_SIZE, NULL },
	{ "sort", SBX_P_SORT, sort_campaigns },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_flows[] = {
	{ "fields[flow-action]", SBX_P_FIELDS, fields_flow_action },
	{ "fields[flow]", SBX_P_FIELDS, flow_fields },
	{ "fields[tag]", SBX_P_FIELDS, tag_fields },
	{ "filter", SBX_P_FILTER, NULL },
	{ "include", SBX_P_INCLUDE, inc_flows },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ "page[size]", SBX_P_SIZE, NULL },
	{ "sort", SBX_P_SORT, sort_flows },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_segments[] = {
	{ "fields[flow]", SBX_P_FIELDS, flow_fields },
	{ "fields[segment]", SBX_P_FIELDS, fields_segment },
	{ "fields[tag]", SBX_P_FIELDS, tag_fields },
	{ "filter", SBX_P_FILTER, NULL },
	{ "include", SBX_P_INCLUDE, inc_segments },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ "page[size]", SBX_P_SIZE, NULL },
	{ "sort", SBX_P_SORT, sort_segments },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_forms[] = {
	{ "fields[form]", SBX_P_FIELDS, fields_form },
	{ "filter", SBX_P_FILTER, NULL },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ "page[size]", SBX_P_SIZE, NULL },
	{ "sort", SBX_P_SORT, sort_forms },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_events[] = {
	{ "fields[attribution]", SBX_P_FIELDS, fields_attribution },
	{ "fields[event]", SBX_P_FIELDS, fields_event },
	{ "fields[metric]", SBX_P_FIELDS, metric_fields },
	{ "fields[profile]", SBX_P_FIELDS, fields_profile },
	{ "filter", SBX_P_FILTER, NULL },
	{ "include", SBX_P_INCLUDE, inc_events },
	{ "page[cursor]", SBX_P_CURSOR, NULL },
	{ "page[size]", SBX_P_SIZE, NULL },
	{ "sort", SBX_P_SORT, sort_events },
	{ NULL, SBX_P_FIELDS, NULL }
};
/* The Webhooks API's operations. */
static const char *const fields_webhook[] = { "created_at", "description",
	"enabled", "endpoint_url", "id", "name", "updated_at", NULL };
static const char *const fields_webhook_topic[] = { "id", NULL };
static const char *const inc_webhook[] = { "webhook-topics", NULL };
static const struct sbx_param p_webhooks_get[] = {
	{ "fields[webhook-topic]", SBX_P_FIELDS, fields_webhook_topic },
	{ "fields[webhook]", SBX_P_FIELDS, fields_webhook },
	{ "include", SBX_P_INCLUDE, inc_webhook },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_webhook_write[] = {
	{ "fields[webhook]", SBX_P_FIELDS, fields_webhook },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_webhook_topics[] = {
	{ "fields[webhook-topic]", SBX_P_FIELDS, fields_webhook_topic },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_none[] = {
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_campaign_values[] = {
	{ "fields[campaign-values-report]", SBX_P_FIELDS,
	  fields_campaign_values_report },
	{ "page_cursor", SBX_P_STRING, NULL },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_flow_values[] = {
	{ "fields[flow-values-report]", SBX_P_FIELDS,
	  fields_flow_values_report },
	{ "page_cursor", SBX_P_STRING, NULL },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_flow_series[] = {
	{ "fields[flow-series-report]", SBX_P_FIELDS,
	  fields_flow_series_report },
	{ "page_cursor", SBX_P_STRING, NULL },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_form_values[] = {
	{ "fields[form-values-report]", SBX_P_FIELDS,
	  fields_form_values_report },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_form_series[] = {
	{ "fields[form-series-report]", SBX_P_FIELDS,
	  fields_form_series_report },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_segment_values[] = {
	{ "fields[segment-values-report]", SBX_P_FIELDS,
	  fields_segment_values_report },
	{ NULL, SBX_P_FIELDS, NULL }
};
static const struct sbx_param p_segment_series[] = {
	{ "fields[segment-series-report]", SBX_P_FIELDS,
	  fields_segment_series_report },
	{ NULL, SBX_P_FIELDS, NULL }
};

/* x-klaviyo filters of each operation ("Allowed field(s)/operator(s)"). */
#define RANGE	(SBX_OP_GREATER_OR_EQUAL | SBX_OP_GREATER_THAN | \
		 SBX_OP_LESS_OR_EQUAL | SBX_OP_LESS_THAN)

static const struct sbx_filter_field f_metrics[] = {
	{ "integration.name", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ "integration.category", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_lists[] = {
	{ "name", 0, SBX_OP_ANY | SBX_OP_EQUALS, SBX_V_STRING, NULL },
	{ "id", SBX_OP_EQUALS, SBX_OP_ANY | SBX_OP_EQUALS, SBX_V_STRING,
	  NULL },
	{ "created", SBX_OP_GREATER_THAN, 0, SBX_V_DATETIME, NULL },
	{ "updated", SBX_OP_GREATER_THAN, 0, SBX_V_DATETIME, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_campaigns[] = {
	{ "id", 0, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ "messages.channel", SBX_OP_EQUALS, 0, SBX_V_STRING,
	  "_sbx.channel" },
	{ "name", SBX_OP_CONTAINS, 0, SBX_V_STRING, NULL },
	{ "status", SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ "archived", SBX_OP_EQUALS, 0, SBX_V_BOOL, NULL },
	{ "created_at", RANGE, 0, SBX_V_DATETIME, NULL },
	{ "scheduled_at", RANGE, 0, SBX_V_DATETIME, NULL },
	{ "updated_at", RANGE, 0, SBX_V_DATETIME, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_flows[] = {
	{ "id", 0, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ "name", SBX_OP_CONTAINS | SBX_OP_ENDS_WITH | SBX_OP_EQUALS |
	  SBX_OP_STARTS_WITH, 0, SBX_V_STRING, NULL },
	{ "status", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ "archived", SBX_OP_EQUALS, 0, SBX_V_BOOL, NULL },
	{ "created", SBX_OP_EQUALS | RANGE, 0, SBX_V_DATETIME, NULL },
	{ "updated", SBX_OP_EQUALS | RANGE, 0, SBX_V_DATETIME, NULL },
	{ "trigger_type", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_segments[] = {
	{ "name", 0, SBX_OP_ANY | SBX_OP_EQUALS, SBX_V_STRING, NULL },
	{ "id", SBX_OP_EQUALS, SBX_OP_ANY | SBX_OP_EQUALS, SBX_V_STRING,
	  NULL },
	{ "created", SBX_OP_GREATER_THAN, 0, SBX_V_DATETIME, NULL },
	{ "updated", SBX_OP_GREATER_THAN, 0, SBX_V_DATETIME, NULL },
	{ "is_active", SBX_OP_EQUALS, SBX_OP_ANY | SBX_OP_EQUALS,
	  SBX_V_BOOL, NULL },
	{ "is_starred", SBX_OP_EQUALS, 0, SBX_V_BOOL, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_forms[] = {
	{ "id", SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING, NULL },
	{ "name", SBX_OP_CONTAINS | SBX_OP_EQUALS, SBX_OP_ANY, SBX_V_STRING,
	  NULL },
	{ "ab_test", SBX_OP_EQUALS, 0, SBX_V_BOOL, NULL },
	{ "updated_at", RANGE, 0, SBX_V_DATETIME, NULL },
	{ "created_at", RANGE, 0, SBX_V_DATETIME, NULL },
	{ "status", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};
static const struct sbx_filter_field f_events[] = {
	{ "metric_id", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ "profile_id", SBX_OP_EQUALS, 0, SBX_V_STRING, NULL },
	{ "profile", SBX_OP_HAS, 0, SBX_V_STRING, NULL },
	{ "metric", SBX_OP_HAS, 0, SBX_V_STRING, NULL },
	{ "datetime", RANGE, 0, SBX_V_DATETIME, NULL },
	{ "timestamp", RANGE, 0, SBX_V_INT, NULL },
	{ NULL, 0, 0, SBX_V_STRING, NULL }
};

/*
 * x-klaviyo-ratelimit and x-klaviyo-scopes of each operation, from
 * klaviyo-openapi/stable.json (revision 2026-07-15).
 */
const struct sbx_endpoint sbx_endpoints[] = {
	{ "GET", "/api/accounts", "accounts:read", SBX_SC_ACCOUNTS,
	  { 1, 15, 0 }, "account", 0, 0, 0, p_accounts, NULL,
	  sbx_gen_accounts, NULL },
	{ "GET", "/api/metrics", "metrics:read", SBX_SC_METRICS,
	  { 10, 150, 0 }, "metric", 1, 200, 0, p_metrics, f_metrics,
	  sbx_gen_metrics, NULL },
	{ "GET", "/api/custom-metrics", "metrics:read", SBX_SC_METRICS,
	  { 3, 60, 0 }, "custom-metric", 0, 0, 0, p_custom_metrics, NULL,
	  sbx_gen_custom_metrics, NULL },
	{ "GET", "/api/lists", "lists:read", SBX_SC_LISTS,
	  { 75, 750, 0 }, "list", 1, 10, 10, p_lists, f_lists,
	  sbx_gen_lists, NULL },
	{ "GET", "/api/campaigns", "campaigns:read", SBX_SC_CAMPAIGNS,
	  { 10, 150, 0 }, "campaign", 1, 100, 100, p_campaigns, f_campaigns,
	  sbx_gen_campaigns, sbx_handle_campaigns },
	{ "GET", "/api/flows", "flows:read", SBX_SC_FLOWS,
	  { 3, 60, 0 }, "flow", 1, 50, 50, p_flows, f_flows,
	  sbx_gen_flows, NULL },
	{ "GET", "/api/segments", "segments:read", SBX_SC_SEGMENTS,
	  { 75, 750, 0 }, "segment", 1, 10, 10, p_segments, f_segments,
	  sbx_gen_segments, NULL },
	{ "GET", "/api/forms", "forms:read", SBX_SC_FORMS,
	  { 3, 60, 0 }, "form", 1, 20, 100, p_forms, f_forms,
	  sbx_gen_forms, NULL },
	{ "GET", "/api/events", "events:read", SBX_SC_EVENTS,
	  { 350, 3500, 0 }, "event", 1, 200, 1000, p_events, f_events,
	  NULL, sbx_handle_events },
	/* Reports: 1/s, 2/m and 225 a day; results 100 a page. */
	{ "POST", "/api/campaign-values-reports", "campaigns:read",
	  SBX_SC_CAMPAIGNS, { 1, 2, 225 }, "campaign-values-report", 1,
	  RPT_PAGE, 0, p_campaign_values, NULL, NULL, sbx_handle_report },
	{ "POST", "/api/flow-values-reports", "flows:read", SBX_SC_FLOWS,
	  { 1, 2, 225 }, "flow-values-report", 1, RPT_PAGE, 0, p_flow_values,
	  NULL, NULL, sbx_handle_report },
	{ "POST", "/api/flow-series-reports", "flows:read", SBX_SC_FLOWS,
	  { 1, 2, 225 }, "flow-series-report", 1, RPT_PAGE, 0, p_flow_series,
	  NULL, NULL, sbx_handle_report },
	{ "POST", "/api/form-values-reports", "forms:read", SBX_SC_FORMS,
	  { 1, 2, 225 }, "form-values-report", 0, 0, 0, p_form_values, NULL,
	  NULL, sbx_handle_report },
	{ "POST", "/api/form-series-reports", "forms:read", SBX_SC_FORMS,
	  { 1, 2, 225 }, "form-series-report", 0, 0, 0, p_form_series, NULL,
	  NULL, sbx_handle_report },
	{ "POST", "/api/segment-values-reports", "segments:read",
	  SBX_SC_SEGMENTS, { 1, 2, 225 }, "segment-values-report", 0, 0, 0,
	  p_segment_values, NULL, NULL, sbx_handle_report },
	{ "POST", "/api/segment-series-reports", "segments:read",
	  SBX_SC_SEGMENTS, { 1, 2, 225 }, "segment-series-report", 0, 0, 0,
	  p_segment_series, NULL, NULL, sbx_handle_report },
	/* Webhooks: 1/s and 15/m each (webhooks.h). */
	{ "GET", "/api/webhook-topics", "webhooks:read", SBX_SC_WEBHOOKS_READ,
	  { 1, 15, 0 }, "webhook-topic", 0, 0, 0, p_webhook_topics, NULL,
	  NULL, sbx_handle_webhook_topics },
	{ "GET", "/api/webhook-topics/{id}", "webhooks:read",
	  SBX_SC_WEBHOOKS_READ, { 1, 15, 0 }, "webhook-topic", 0, 0, 0,
	  p_webhook_topics, NULL, NULL, sbx_handle_webhook_topic },
	{ "GET", "/api/webhooks", "webhooks:read", SBX_SC_WEBHOOKS_READ,
	  { 1, 15, 0 }, "webhook", 0, 0, 0, p_webhooks_get, NULL, NULL,
	  sbx_handle_webhooks_get },
	{ "POST", "/api/webhooks", "webhooks:write", SBX_SC_WEBHOOKS_WRITE,
	  { 1, 15, 0 }, "webhook", 0, 0, 0, p_webhook_write, NULL, NULL,
	  sbx_handle_webhook_create },
	{ "GET", "/api/webhooks/{id}", "webhooks:read", SBX_SC_WEBHOOKS_READ,
	  { 1, 15, 0 }, "webhook", 0, 0, 0, p_webhooks_get, NULL, NULL,
	  sbx_handle_webhook_get },
	{ "PATCH", "/api/webhooks/{id}", "webhooks:write",
	  SBX_SC_WEBHOOKS_WRITE, { 1, 15, 0 }, "webhook", 0, 0, 0,
	  p_webhook_write, NULL, NULL, sbx_handle_webhook_update },
	{ "DELETE", "/api/webhooks/{id}", "webhooks:write",
	  SBX_SC_WEBHOOKS_WRITE, { 1, 15, 0 }, "webhook", 0, 0, 0, p_none,
	  NULL, NULL, sbx_handle_webhook_delete },
};
const size_t sbx_nendpoints = sizeof(sbx_endpoints) /
    sizeof(sbx_endpoints[0]);

/* The value of a hex digit, or -1. */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Does path match a row's path, where a trailing "/{id}" stands for one
 * non-empty segment (percent-decoded into id, which must fit)?
 */
static int
path_match(const char *row, const char *path, char *id, size_t idlen)
{
	size_t		 n = strlen(row), k = 0;
	const char	*p;
	char		 tmp[128];
	int		 hi, lo;

	if (n < 5 || strcmp(row + n - 5, "/{id}") != 0)
		return strcmp(row, path) == 0;
	n -= 4;		/* keep the slash */
	if (strncmp(row, path, n) != 0 || path[n] == '\0')
		return 0;
	for (p = path + n; *p != '\0'; p++) {
		if (*p == '/' || k + 1 >= sizeof(tmp))
			return 0;
		if (*p == '%') {
			if ((hi = hexval(p[1])) < 0 || (lo = hexval(p[2])) < 0)
				return 0;
			tmp[k++] = (char)(hi * 16 + lo);
			p += 2;
		} else
			tmp[k++] = *p;
	}
	tmp[k] = '\0';
	if (strlen(tmp) != k || k == 0)
		return 0;	/* a %00 */
	if (id != NULL) {
		if (k >= idlen)
			return 0;
		memcpy(id, tmp, k + 1);
	}
	return 1;
}

const struct sbx_endpoint *
sbx_endpoint_find(const char *method, const char *path, size_t *idx,
    char *id, size_t idlen)
{
	size_t i;

	if (method != NULL && strcmp(method, "HEAD") == 0)
		method = "GET";
	for (i = 0; i < sbx_nendpoints; i++) {
		if (method != NULL && strcmp(sbx_endpoints[i].method,
		    method) != 0)
			continue;
		if (path_match(sbx_endpoints[i].path, path, id, idlen)) {
			if (idx)
				*idx = i;
			return &sbx_endpoints[i];
		}
	}
	return NULL;
}

void
sbx_endpoint_allow(const char *path, char *out, size_t len)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < sbx_nendpoints && n < len; i++)
		if (path_match(sbx_endpoints[i].path, path, NULL, 0))
			n += (size_t)snprintf(out + n, len - n, "%s%s",
			    n ? ", " : "", sbx_endpoints[i].method);
}
