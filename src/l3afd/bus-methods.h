/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The method handlers of org.l3af.Chain1; bus.c puts them in the vtable. */
#pragma once

#include <systemd/sd-bus.h>

/* bus-chain.c */
int method_list_chains(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_get_chain(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_get_chain_settings(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_get_companions(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_list_problems(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_add_program(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_remove_program(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error);

/* bus-probe.c */
int method_list_probes(sd_bus_message *m, void *userdata, sd_bus_error *error);
/* bus-stats.c */
int method_get_statistics(sd_bus_message *m, void *userdata, sd_bus_error *error);

/* bus-map.c */
int method_get_map_entry(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_list_map_entries(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_map_entry(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_delete_map_entry(sd_bus_message *m, void *userdata, sd_bus_error *error);
