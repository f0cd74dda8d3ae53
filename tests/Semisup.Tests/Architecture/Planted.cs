using Semisup.Data;

namespace Semisup.Tests.Architecture.Planted;

// Violations planted for the architecture rules' own tests (LayerTests): compiled, never run.

static class ReportThatTrains
{
    public static TrainResult Train(Recipe r, RunData data) => Trainer.Run(r, new RunDirectory("run"), data);

    public static string Advice(string dir) => $"continue with `semisup train --resume {dir}`";

    public static string[] NpmArguments => ["pack", "--pack-destination", "staging"];

    public static int Long(int x)
    {
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        x = x * 3 + 1;
        return x;
    }
}

static class ReportThatCompares
{
    public static Task<IReadOnlyList<RunSummary>> Read(LocateData locate) => Comparison.ReadAsync(["run"], locate);
}
