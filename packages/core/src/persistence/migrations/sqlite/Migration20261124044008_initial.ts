import { Migration } from '@mikro-orm/migrations';

export class Migration20261124044008_initial extends Migration {
  override name = 'Migration20261124044008_initial';

  override up(): void {
    this.addSql(`create table \`admin_user\` (\`id\` integer not null primary key autoincrement, \`username\` text not null, \`password_hash\` text not null, \`role\` text not null, \`created_at\` datetime not null);`);
    this.addSql(`create unique index \`admin_user_username_unique\` on \`admin_user\` (\`username\`);`);
    this.addSql(`create table \`audit_log\` (\`id\` integer not null primary key autoincrement, \`at\` datetime not null, \`actor\` text not null, \`action\` text not null, \`charge_point\` text null, \`request\` json not null, \`result\` json null, \`outcome\` text not null);`);
    this.addSql(`create index \`audit_log_at_idx\` on \`audit_log\` (\`at\`);`);
    this.addSql(`create table \`charge_point\` (\`id\` text not null primary key, \`vendor\` text null, \`model\` text null, \`serial_number\` text null, \`charge_box_serial_number\` text null, \`firmware_version\` text null, \`iccid\` text null, \`imsi\` text null, \`meter_type\` text null, \`meter_serial_number\` text null, \`registration_status\` text null, \`auth_key_hash\` text null, \`security_profile\` integer not null default 0, \`last_boot_at\` datetime null, \`last_heartbeat_at\` datetime null, \`last_seen_at\` datetime null, \`diagnostics_status\` text null, \`diagnostics_status_at\` datetime null, \`firmware_status\` text null, \`firmware_status_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`);
    this.addSql(`create table \`charging_profile\` (\`id\` integer not null primary key autoincrement, \`charge_point_id\` text null, \`connector_id\` integer not null, \`charging_profile_id\` integer not null, \`stack_level\` integer not null, \`purpose\` text not null, \`kind\` text not null, \`recurrency_kind\` text null, \`valid_from\` datetime null, \`valid_to\` datetime null, \`transaction_id\` integer null, \`schedule\` json not null, \`status\` text not null, \`created_at\` datetime not null, constraint \`charging_profile_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`) on delete set null);`);
    this.addSql(`create index \`charging_profile_cp_conn_idx\` on \`charging_profile\` (\`charge_point_id\`, \`connector_id\`);`);
    this.addSql(`create table \`connector\` (\`id\` integer not null primary key autoincrement, \`charge_point_id\` text not null, \`connector_id\` integer not null, \`status\` text null, \`error_code\` text null, \`info\` text null, \`vendor_id\` text null, \`vendor_error_code\` text null, \`status_timestamp\` datetime null, \`updated_at\` datetime not null, constraint \`connector_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`));`);
    this.addSql(`create unique index \`connector_cp_connector_unique\` on \`connector\` (\`charge_point_id\`, \`connector_id\`);`);
    this.addSql(`create table \`device_event\` (\`id\` integer not null primary key autoincrement, \`charge_point_id\` text not null, \`kind\` text not null, \`status\` text null, \`payload\` json not null, \`received_at\` datetime not null, constraint \`device_event_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`));`);
    this.addSql(`create index \`device_event_cp_received_idx\` on \`device_event\` (\`charge_point_id\`, \`received_at\`);`);
    this.addSql(`create table \`id_tag\` (\`id_tag\` text not null primary key, \`status\` text not null, \`parent_id_tag\` text null, \`expiry_date\` datetime null, \`owner_name\` text null, \`created_at\` datetime not null, \`updated_at\` datetime not null);`);
    this.addSql(`create table \`local_auth_list\` (\`charge_point_id\` text not null primary key, \`version\` integer not null, \`status\` text not null, \`synced_at\` datetime null, constraint \`local_auth_list_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`) on update cascade on delete cascade);`);
    this.addSql(`create table \`orphan_message\` (\`id\` integer not null primary key autoincrement, \`charge_point_id\` text not null, \`action\` text not null, \`claimed_transaction_id\` integer null, \`reason\` text not null, \`payload\` json not null, \`received_at\` datetime not null, \`reviewed_at\` datetime null, constraint \`orphan_message_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`));`);
    this.addSql(`create index \`orphan_message_cp_received_idx\` on \`orphan_message\` (\`charge_point_id\`, \`received_at\`);`);
    this.addSql(`create table \`reservation\` (\`id\` integer not null primary key autoincrement, \`charge_point_id\` text not null, \`connector_id\` integer not null, \`id_tag\` text not null, \`parent_id_tag\` text null, \`expiry_date\` datetime not null, \`status\` text not null, \`transaction_id\` integer null, \`created_at\` datetime not null, \`updated_at\` datetime not null, constraint \`reservation_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`));`);
    this.addSql(`create index \`reservation_cp_conn_idx\` on \`reservation\` (\`charge_point_id\`, \`connector_id\`);`);
    this.addSql(`create table \`setting\` (\`key\` text not null primary key, \`value\` json not null, \`updated_at\` datetime not null);`);
    this.addSql(`create table \`status_event\` (\`id\` integer not null primary key autoincrement, \`charge_point_id\` text not null, \`connector_id\` integer not null, \`status\` text not null, \`error_code\` text not null, \`info\` text null, \`vendor_id\` text null, \`vendor_error_code\` text null, \`timestamp\` datetime null, \`received_at\` datetime not null, constraint \`status_event_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`));`);
    this.addSql(`create index \`status_event_cp_received_idx\` on \`status_event\` (\`charge_point_id\`, \`received_at\`);`);
    this.addSql(`create table \`charge_transaction\` (\`id\` integer not null primary key autoincrement, \`charge_point_id\` text not null, \`connector_id\` integer not null, \`id_tag\` text not null, \`id_tag_status\` text not null, \`parent_id_tag\` text null, \`reservation_id\` integer null, \`meter_start\` bigint not null, \`start_timestamp\` datetime not null, \`start_received_at\` datetime not null, \`meter_stop\` bigint null, \`stop_timestamp\` datetime null, \`stop_received_at\` datetime null, \`stop_reason\` text null, \`stop_id_tag\` text null, \`energy_wh\` bigint null, \`cost\` bigint null, \`flags\` json not null, \`status\` text not null, constraint \`charge_transaction_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`));`);
    this.addSql(`create index \`charge_transaction_cp_conn_status_idx\` on \`charge_transaction\` (\`charge_point_id\`, \`connector_id\`, \`status\`);`);
    this.addSql(`create index \`charge_transaction_id_tag_idx\` on \`charge_transaction\` (\`id_tag\`);`);
    this.addSql(`create index \`charge_transaction_start_ts_idx\` on \`charge_transaction\` (\`start_timestamp\`);`);
    this.addSql(`create unique index \`charge_transaction_start_idem_unique\` on \`charge_transaction\` (\`charge_point_id\`, \`connector_id\`, \`id_tag\`, \`start_timestamp\`, \`meter_start\`);`);
    this.addSql(`create table \`meter_sample\` (\`id\` integer not null primary key autoincrement, \`transaction_id\` integer null, \`charge_point_id\` text not null, \`connector_id\` integer not null, \`timestamp\` datetime not null, \`received_at\` datetime not null, \`measurand\` text not null, \`phase\` text null, \`location\` text null, \`context\` text not null, \`unit\` text not null, \`value\` double null, \`raw_value\` text null, \`format\` text null, \`flags\` json null, constraint \`meter_sample_transaction_id_foreign\` foreign key (\`transaction_id\`) references \`charge_transaction\` (\`id\`) on delete cascade, constraint \`meter_sample_charge_point_id_foreign\` foreign key (\`charge_point_id\`) references \`charge_point\` (\`id\`));`);
    this.addSql(`create index \`meter_sample_charge_point_id_index\` on \`meter_sample\` (\`charge_point_id\`);`);
    this.addSql(`create index \`meter_sample_tx_ts_idx\` on \`meter_sample\` (\`transaction_id\`, \`timestamp\`);`);
  }

  override down(): void {
    this.addSql(`drop table if exists \`admin_user\`;`);
    this.addSql(`drop table if exists \`audit_log\`;`);
    this.addSql(`drop table if exists \`charge_point\`;`);
    this.addSql(`drop table if exists \`charging_profile\`;`);
    this.addSql(`drop table if exists \`connector\`;`);
    this.addSql(`drop table if exists \`device_event\`;`);
    this.addSql(`drop table if exists \`id_tag\`;`);
    this.addSql(`drop table if exists \`local_auth_list\`;`);
    this.addSql(`drop table if exists \`orphan_message\`;`);
    this.addSql(`drop table if exists \`reservation\`;`);
    this.addSql(`drop table if exists \`setting\`;`);
    this.addSql(`drop table if exists \`status_event\`;`);
    this.addSql(`drop table if exists \`charge_transaction\`;`);
    this.addSql(`drop table if exists \`meter_sample\`;`);
  }
}
