using System.Text.Json;
using System.Text.Json.Serialization;
using Semisup.Models;

namespace Semisup.Training;

/// <summary>Everything a run depends on, with the lab's final Γ-model as defaults (section 3.3). Recipes in
/// recipes/*.json override any of these; the command line overrides a few more.</summary>
public sealed record Recipe
{
    /// <summary>The recipe file's name; set on loading.</summary>
    public string Name { get; init; } = "gamma";
    public string Description { get; init; } = "";
    public string Method { get; init; } = "gamma";
    public string Dataset { get; init; } = "mnist";
    /// <summary>Labeled images (a multiple of 10), or -1 for all.</summary>
    public int Labels { get; init; } = 3000;
    public ulong Seed { get; init; } = 1;
    public int Epochs { get; init; } = 500;
    /// <summary>Steps per epoch; 0 means one pass over the labeled set (60 at 3,000 labels).</summary>
    public int StepsPerEpoch { get; init; }
    public int LabeledBatch { get; init; } = 50;
    public int UnlabeledBatch { get; init; } = 50;

    public double NoiseStd { get; init; } = 0.3;
    public double Dropout { get; init; } = 0.5;
    public double LeakySlope { get; init; } = 0.1;
    public double BnMomentum { get; init; } = 0.1;
    public double InitRange { get; init; } = 0.1;

    /// <summary>Weight of the unsupervised loss (for pseudo-labels, its final weight after the ramp).</summary>
    public double UnsupervisedWeight { get; init; } = 1.0;
    /// <summary>Pseudo-labels: the weight ramps from 0 at this epoch...</summary>
    public double RampStart { get; init; } = 10;
    /// <summary>...to UnsupervisedWeight at this one.</summary>
    public double RampEnd { get; init; } = 100;
    /// <summary>Pseudo-labels: the smallest predicted probability that makes a target.</summary>
    public double ConfidenceThreshold { get; init; } = 0.95;
    public bool DetachCleanTarget { get; init; }
    public double RotationDegrees { get; init; } = 25;
    public int Shift { get; init; } = 3;
    /// <summary>Elastic distortion of labeled images (Simard et al. 2003), in pixels; 0 turns it off (the lab's final model).</summary>
    public double ElasticAlpha { get; init; }
    public double ElasticSigma { get; init; } = 4;

    public double LearningRate { get; init; } = 1e-3;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public LrSchedule Schedule { get; init; } = new();

    /// <summary>Intra-op threads; runs are bit-reproducible only at a fixed count.</summary>
    public int Threads { get; init; } = 2;
    public int EvalBatch { get; init; } = 1000;

    public ConvNetConfig Net => new(NoiseStd, Dropout, LeakySlope, BnMomentum, InitRange);

    public int StepsPer(int labeledCount) => StepsPerEpoch > 0 ? StepsPerEpoch : Math.Max(1, labeledCount / LabeledBatch);

    /// <summary>Rejects values that cannot train, before any work starts.</summary>
    public Recipe Validate()
    {
        var bad = new List<string>();
        if (Epochs < 1) bad.Add($"epochs {Epochs}: must be at least 1");
        if (Labels != -1 && (Labels < 10 || Labels % 10 != 0)) bad.Add($"labels {Labels}: must be a positive multiple of 10, or -1 (all)");
        if (StepsPerEpoch < 0) bad.Add($"stepsPerEpoch {StepsPerEpoch}: must be 0 (one pass over the labeled set) or positive");
        if (LabeledBatch < 1) bad.Add($"labeledBatch {LabeledBatch}: must be at least 1");
        if (UnlabeledBatch < 0) bad.Add($"unlabeledBatch {UnlabeledBatch}: must not be negative");
        if (NoiseStd < 0) bad.Add($"noiseStd {NoiseStd}: must not be negative");
        if (Dropout is < 0 or >= 1) bad.Add($"dropout {Dropout}: must be in [0, 1)");
        if (BnMomentum is <= 0 or > 1) bad.Add($"bnMomentum {BnMomentum}: must be in (0, 1]");
        if (InitRange <= 0) bad.Add($"initRange {InitRange}: must be positive");
        if (UnsupervisedWeight < 0) bad.Add($"unsupervisedWeight {UnsupervisedWeight}: must not be negative");
        if (RampStart < 0 || RampEnd <= RampStart) bad.Add($"rampStart {RampStart} and rampEnd {RampEnd}: need 0 <= rampStart < rampEnd");
        if (ConfidenceThreshold is < 0 or > 1) bad.Add($"confidenceThreshold {ConfidenceThreshold}: must be in [0, 1]");
        if (LearningRate <= 0) bad.Add($"learningRate {LearningRate}: must be positive");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) bad.Add("beta1 and beta2 must be in [0, 1)");
        if (Threads < 1) bad.Add($"threads {Threads}: must be at least 1");
        if (EvalBatch < 1) bad.Add($"evalBatch {EvalBatch}: must be at least 1");
        if (RotationDegrees < 0 || Shift < 0) bad.Add("rotationDegrees and shift must not be negative");
        if (ElasticAlpha < 0 || ElasticSigma <= 0) bad.Add($"elasticAlpha {ElasticAlpha} must be ≥ 0 and elasticSigma {ElasticSigma} > 0");
        bad.AddRange(Schedule.Problems());
        if (!Methods.MethodRegistry.Names.Contains(Method)) bad.Add($"method '{Method}': known methods are {string.Join(", ", Methods.MethodRegistry.Names)}");
        if (bad.Count > 0) throw new SemisupException($"Recipe '{Name}' is invalid: {string.Join("; ", bad)}.");
        return this;
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
    };

    /// <summary>A recipe by file path, or by name from the recipes directory.</summary>
    public static Recipe Load(string nameOrPath, string? recipesDir = null)
    {
        var path = File.Exists(nameOrPath) ? nameOrPath : Path.Combine(recipesDir ?? FindRecipesDir(), nameOrPath + ".json");
        if (!File.Exists(path))
        {
            var known = Directory.Exists(recipesDir ?? FindRecipesDir())
                ? string.Join(", ", Directory.GetFiles(recipesDir ?? FindRecipesDir(), "*.json").Select(Path.GetFileNameWithoutExtension).Order())
                : "none";
            throw new SemisupException($"Recipe '{nameOrPath}' not found (looked for {path}). Known recipes: {known}.");
        }
        return Read(path) with { Name = Path.GetFileNameWithoutExtension(path) };
    }

    /// <summary>A recipe file as written, e.g. a run directory's resolved recipe.json.</summary>
    public static Recipe Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Recipe>(File.ReadAllText(path), Json) ?? throw new JsonException("the file is empty");
        }
        catch (JsonException e)
        {
            throw new SemisupException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>recipes/ beside the working directory or any parent, else beside the program.</summary>
    public static string FindRecipesDir()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (Directory.Exists(Path.Combine(d.FullName, "recipes"))) return Path.Combine(d.FullName, "recipes");
        return Path.Combine(Directory.GetCurrentDirectory(), "recipes");
    }
}

/// <summary>The lab's schedule: the base rate until <see cref="DecayEpoch"/>, then <see cref="DecayedRate"/>, then
/// after <see cref="ExponentialAfter"/> multiplied by <see cref="Factor"/> each epoch. Epochs count from 1.</summary>
public sealed record LrSchedule(int DecayEpoch = 100, double DecayedRate = 5e-4, int ExponentialAfter = 200, double Factor = 0.99)
{
    public double At(int epoch, double baseRate) =>
        epoch <= DecayEpoch ? baseRate
        : epoch <= ExponentialAfter ? DecayedRate
        : DecayedRate * Math.Pow(Factor, epoch - ExponentialAfter);

    public IEnumerable<string> Problems()
    {
        if (DecayEpoch < 0 || ExponentialAfter < DecayEpoch) yield return "schedule: need 0 <= decayEpoch <= exponentialAfter";
        if (DecayedRate <= 0 || Factor is <= 0 or > 1) yield return "schedule: decayedRate must be positive and factor in (0, 1]";
    }
}
