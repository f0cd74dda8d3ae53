using System.CommandLine;

namespace Semisup.Cli;

/// <summary>The recipe keys train and compare let the command line set: the common ones by name, any by --set.</summary>
sealed class RecipeOverrides
{
    public Option<int?> Epochs { get; } = new("--epochs") { Description = "Set run.epochs." };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Set data.seed (split, initialisation, noise)." };
    public Option<string?> Labels { get; } = new("--labels") { Description = "Set data.labels: a multiple of 10, or 'all'." };
    public Option<string?> Scheme { get; } = new("--scheme") { Description = "Set data.split: random, or lab (the lab's images, in file order)." };
    public Option<string?> Threads { get; } = new("--threads") { Description = "Set run.threads: a count, or auto (the cores idle at the start, recorded in recipe.json; runs are reproducible at a fixed count, so a resume keeps it)." };
    public Option<string[]> Sets { get; } = new("--set") { Description = "Set any recipe key: --set block.key=value, e.g. --set method.threshold=0.9 (repeatable).", AllowMultipleArgumentsPerToken = false };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Epochs, Seed, Labels, Scheme, Threads, Sets }) command.Options.Add(option);
    }

    /// <summary>The options given, as block.key=value settings.</summary>
    /// <param name="resuming">A resume keeps the thread count its run recorded when given auto.</param>
    public IReadOnlyList<string> Of(ParseResult parse, bool resuming = false)
    {
        var sets = new List<string>();
        if (parse.GetValue(Epochs) is int e) sets.Add($"run.epochs={e}");
        if (parse.GetValue(Seed) is ulong s) sets.Add($"data.seed={s}");
        if (parse.GetValue(Threads) is string t && !(t == "auto" && resuming))
            sets.Add($"run.threads={(t == "auto" ? AutoThreads() : int.TryParse(t, out var n) ? n : throw new SemisupException($"--threads {t}: give a count or auto."))}");
        if (parse.GetValue(Scheme) is string sc) sets.Add($"data.split=\"{sc}\"");
        if (parse.GetValue(Labels) is string l)
            sets.Add($"data.labels={(l == "all" ? "-1" : int.TryParse(l, out var n) ? n : throw new SemisupException($"--labels {l}: give a multiple of 10 or 'all'."))}");
        sets.AddRange(parse.GetValue(Sets) ?? []);
        return sets;
    }

    static int AutoThreads()
    {
        int idle = Semisup.Runs.Threads.IdleCores();
        Console.WriteLine($"--threads auto: {idle} of {Environment.ProcessorCount} cores idle, so {idle} thread{(idle == 1 ? "" : "s")} (kept in recipe.json)");
        return idle;
    }
}
