using System.CommandLine;
using Semisup.Data;
using Semisup.Training;

namespace Semisup.Cli;

/// <summary>The recipe keys that train and compare let the command line override, so both commands take the same
/// options with the same meaning.</summary>
sealed class RecipeOverrides
{
    public Option<int?> Epochs { get; } = new("--epochs") { Description = "Override the recipe's epochs." };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Override the recipe's seed (split, initialisation, noise)." };
    public Option<string?> Labels { get; } = new("--labels") { Description = "Override the labeled-set size: a multiple of 10, or 'all'." };
    public Option<string?> Scheme { get; } = new("--scheme") { Description = "Override the recipe's split scheme (key split): random, or lab (the lab's images, in file order)." };
    public Option<int?> Threads { get; } = new("--threads") { Description = "Override the thread count (runs are reproducible at a fixed count)." };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Epochs, Seed, Labels, Scheme, Threads }) command.Options.Add(option);
    }

    /// <summary>Whether an option that changes what a run is was given: not --epochs (a longer run of the same
    /// experiment) nor --threads (only the order of floating-point sums).</summary>
    public bool ChangesTheRun(ParseResult parse) =>
        parse.GetValue(Seed) is not null || parse.GetValue(Labels) is not null || parse.GetValue(Scheme) is not null;

    public Recipe Apply(ParseResult parse, Recipe r)
    {
        if (parse.GetValue(Epochs) is int e) r = r with { Epochs = e };
        if (parse.GetValue(Seed) is ulong s) r = r with { Seed = s };
        if (parse.GetValue(Threads) is int t) r = r with { Threads = t };
        if (parse.GetValue(Scheme) is string sc) r = r with { Split = sc };
        if (parse.GetValue(Labels) is string l)
            r = r with { Labels = l == "all" ? Split.AllLabels : int.TryParse(l, out var n) ? n : throw new SemisupException($"--labels {l}: give a multiple of 10 or 'all'.") };
        return r;
    }
}
