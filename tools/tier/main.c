/* tier: the command-line program of libtier. Dispatches to one subcommand per file
 * (cmd_*.c); see doc/tier.1. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_cmd *const commands[] = {
    &cmd_features, &cmd_score, &cmd_clv, &cmd_kmeans, &cmd_assign, &cmd_whatif, &cmd_pivot,
    &cmd_report, &cmd_demo, NULL,
};

static void usage(FILE *f)
{
    fputs("Usage: tier COMMAND [OPTIONS] [ARGUMENTS]\n"
          "\n"
          "Customer tiering from transaction logs: behaviour features, RFM and AHP scores,\n"
          "tier rules with dynamic upgrades and downgrades, pivots and an HTML report.\n"
          "\n"
          "Commands:\n", f);
    for (size_t i = 0; commands[i]; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fputs("\n"
          "Options:\n"
          "  -h, --help     show this help and exit\n"
          "  -V, --version  show the version and exit\n"
          "\n"
          "Run 'tier COMMAND --help' for the options of a command, and 'tier demo' to see\n"
          "everything at work on the bundled sample data. Manual: tier(1).\n", f);
}

static const cli_cmd *find_command(const char *name)
{
    for (size_t i = 0; commands[i]; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

/* The command whose name is closest to a mistyped one (shares a prefix or differs little). */
static const cli_cmd *closest_command(const char *name)
{
    for (size_t i = 0; commands[i]; i++)
        if (strncmp(commands[i]->name, name, 3) == 0)
            return commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0) {
        printf("tier %s (libtier %s)\n", TIER_VERSION_STRING, tier_version_string());
        return EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return EXIT_OK;
        }
        const cli_cmd *c = find_command(argv[2]);
        if (!c) {
            fprintf(stderr, "tier: unknown command '%s'\n", argv[2]);
            return EXIT_USAGE;
        }
        cli_print_help(stdout, c);
        return EXIT_OK;
    }
    const cli_cmd *cmd = find_command(name);
    if (!cmd) {
        const cli_cmd *near = closest_command(name);
        if (name[0] == '-')
            fprintf(stderr, "tier: unknown option '%s'\n", name);
        else if (near)
            fprintf(stderr, "tier: unknown command '%s' (did you mean '%s'?)\n", name, near->name);
        else
            fprintf(stderr, "tier: unknown command '%s'\n", name);
        fputs("Try 'tier --help' for the list of commands.\n", stderr);
        return EXIT_USAGE;
    }
    return cmd->run(argc - 1, argv + 1);
}
