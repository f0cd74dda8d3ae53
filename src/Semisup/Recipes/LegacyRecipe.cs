using System.Text.Json;
using System.Text.Json.Nodes;
using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Optim;

namespace Semisup.Recipes;

/// <summary>The flat form recipes had before their blocks: one object of 57 keys. The shipped checkpoints, the kept
/// runs under docs/runs and users' own recipes still hold it; this is the one place that reads it, converting it once
/// into the blocks. Defaults are the flat form's, so a file that left a key out means what it meant then. It also
/// answers for the keys removed since (<see cref="DropRetired"/>), in either form.</summary>
sealed record LegacyRecipe
{
    public string Name { get; init; } = "gamma";
    public string Description { get; init; } = "";
    public string Method { get; init; } = "gamma";
    public string Model { get; init; } = "conv";
    public string Dataset { get; init; } = "mnist";
    public int Labels { get; init; } = 3000;
    public string Split { get; init; } = Data.Split.Random;
    public ulong Seed { get; init; } = 1;
    public int Epochs { get; init; } = 500;
    public int StepsPerEpoch { get; init; }
    public int LabeledBatch { get; init; } = 50;
    public int UnlabeledBatch { get; init; } = 50;
    public double NoiseStd { get; init; } = 0.3;
    public double? InputNoiseStd { get; init; }
    public double Dropout { get; init; } = 0.5;
    public double LeakySlope { get; init; } = 0.1;
    public double BnMomentum { get; init; } = 0.1;
    public double InitRange { get; init; } = 0.1;
    public double InputMean { get; init; }
    public double InputStd { get; init; } = 1;
    public string Activation { get; init; } = "leaky_relu";
    public bool HandDerived { get; init; }
    public string DropoutKind { get; init; } = "inverted";
    public string Init { get; init; } = "uniform";
    public string BnScaleInit { get; init; } = "ones";
    public bool CleanDropout { get; init; } = true;
    public int HiddenUnits { get; init; } = 100;
    public double ConvWidth { get; init; } = 1;
    public double SoftmaxBeta { get; init; } = 1;
    public string? WarmStart { get; init; }
    public double UnsupervisedWeight { get; init; } = 1.0;
    public double RampStart { get; init; } = 10;
    public double RampEnd { get; init; } = 100;
    public double ConfidenceThreshold { get; init; } = 0.95;
    public bool DetachCleanTarget { get; init; }
    public bool SeparateBatches { get; init; }
    public bool AugmentUnlabeled { get; init; }
    public int[] LadderLayers { get; init; } = LadderConfig.PaperLayers;
    public double[] DenoisingCosts { get; init; } = Ladder.PaperCosts;
    public string DenoisingRows { get; init; } = "all";
    public int UnsupervisedSteps { get; init; } = 60;
    public double RotationDegrees { get; init; } = 25;
    public int Shift { get; init; } = 3;
    public double ElasticAlpha { get; init; }
    public double ElasticSigma { get; init; } = 4;
    public string Interpolation { get; init; } = "bilinear";
    public int Cutout { get; init; }
    public string Optimizer { get; init; } = "adam";
    public double Momentum { get; init; } = 0.9;
    public double LearningRate { get; init; } = 1e-3;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double WeightDecay { get; init; }
    public FlatSchedule Schedule { get; init; } = new();
    public double EmaDecay { get; init; }
    public int Threads { get; init; } = 2;
    public int EvalBatch { get; init; } = 100;

    public sealed record FlatSchedule(int DecayEpoch = 100, double DecayedRate = 5e-4, int ExponentialAfter = 200, double Factor = 0.99, int? LinearDecayAfter = null);

    /// <summary>Where each flat key went: the hint for a flat key found among blocks.</summary>
    static readonly Dictionary<string, string> Moved = new()
    {
        ["dataset"] = "data.dataset", ["labels"] = "data.labels", ["split"] = "data.split", ["seed"] = "data.seed",
        ["epochs"] = "run.epochs", ["stepsPerEpoch"] = "run.stepsPerEpoch", ["labeledBatch"] = "run.labeledBatch",
        ["unlabeledBatch"] = "run.unlabeledBatch", ["threads"] = "run.threads", ["evalBatch"] = "run.evalBatch", ["emaDecay"] = "run.emaDecay",
        ["noiseStd"] = "model.noiseStd", ["inputNoiseStd"] = "model.inputNoiseStd", ["dropout"] = "model.dropout", ["leakySlope"] = "model.leakySlope",
        ["bnMomentum"] = "model.bnMomentum", ["initRange"] = "model.initRange", ["inputMean"] = "model.inputMean", ["inputStd"] = "model.inputStd",
        ["activation"] = "model.activation", ["handDerived"] = "model.handDerived", ["dropoutKind"] = "model.dropoutKind", ["init"] = "model.init",
        ["bnScaleInit"] = "model.bnScaleInit", ["cleanDropout"] = "model.cleanDropout", ["hiddenUnits"] = "model.hiddenUnits",
        ["convWidth"] = "model.convWidth", ["softmaxBeta"] = "model.softmaxBeta", ["warmStart"] = "model.warmStart", ["ladderLayers"] = "model.layers",
        ["unsupervisedWeight"] = "method.unsupervisedWeight", ["rampStart"] = "method.rampStart", ["rampEnd"] = "method.rampEnd",
        ["confidenceThreshold"] = "method.threshold", ["detachCleanTarget"] = "method.detachCleanTarget", ["separateBatches"] = "method.separateBatches",
        ["augmentUnlabeled"] = "method.augmentUnlabeled", ["denoisingCosts"] = "method.denoisingCosts", ["denoisingRows"] = "method.denoisingRows",
        ["unsupervisedSteps"] = "method.unsupervisedSteps", ["rotationDegrees"] = "augmentation.rotationDegrees", ["shift"] = "augmentation.shift",
        ["elasticAlpha"] = "augmentation.elasticAlpha", ["elasticSigma"] = "augmentation.elasticSigma", ["interpolation"] = "augmentation.interpolation",
        ["cutout"] = "augmentation.cutout", ["momentum"] = "optimizer.mu", ["learningRate"] = "optimizer.learningRate", ["beta1"] = "optimizer.beta1",
        ["beta2"] = "optimizer.beta2", ["weightDecay"] = "optimizer.weightDecay",
    };

    public static string Hint(string key) => Moved.TryGetValue(key, out var path) ? $" Recipes are written in blocks: this is {path}." : "";

    /// <summary>A flat recipe names its method, model or optimizer as text, or has only flat keys.</summary>
    public static bool IsFlat(JsonObject file) =>
        new[] { "method", "model", "optimizer" }.Any(k => file[k] is JsonValue)
        || (file.Any(p => Moved.ContainsKey(p.Key)) && !file.Any(p => p.Key is "data" or "run" || p.Value is JsonObject && p.Key is "method" or "model"));

    /// <summary>The last commit with the keys that served only experiments that did not help (but those retired later,
    /// which name their own): recipes and checkpoints that set one of them train and load there.</summary>
    public const string RetiredAt = "e050450";

    /// <summary>The last commit with FreeMatch's self-adaptive threshold (method.adaptiveThreshold) and the method state
    /// that last.ckpt carried for it, retired later than the others.</summary>
    public const string AdaptiveThresholdRetiredAt = "34549c3";

    /// <summary>A retired key: block, the kind that had it (null: every kind), key, the value a recipe had unless it set
    /// one, and the last commit that has it. Run directories and checkpoints write every key, so one at that value means
    /// nothing today.</summary>
    sealed record RetiredKey(string Block, string? Kind, string Key, JsonNode Default, string At = RetiredAt);

    static readonly RetiredKey[] Retired =
    [
        new("model", "conv", "cleanDropout", true), new("model", "conv", "convWidth", 1),
        new("model", "gap", "noiseStd", 0), new("model", "gap", "dropout", 0), new("model", "gap", "bnMomentum", 0.1),
        new("model", "mlp-ladder", "bnMomentum", 0.1),
        new("method", "gamma", "augmentUnlabeled", false),
        new("method", "alternating-gamma", "unsupervisedSteps", 60), new("method", "alternating-gamma", "unsupervisedWeight", 1),
        new("method", "ladder", "denoisingRows", "all"),
        new("method", "fixmatch", "unsupervisedWeight", 1), new("method", "fixmatch", "pseudoLabels", "batch"),
        new("method", "fixmatch", "labelSmoothing", 0), new("method", "fixmatch", "distributionAlignment", false),
        new("method", "fixmatch", "alignmentMomentum", 0.999),
        new("method", "fixmatch", "adaptiveThreshold", 0, AdaptiveThresholdRetiredAt),
        new("schedule", "cosine", "warmupEpochs", 0),
    ];

    /// <summary>Drops each retired key at its old default from a recipe's blocks, and refuses one set to anything else
    /// (or the retired mlp model), naming the commit that still trains it.</summary>
    public static void DropRetired(JsonObject recipe, string source)
    {
        if (recipe["model"] is JsonObject { } m && KindIs(m, "mlp"))
            throw new SemisupException($"{source}: model.kind: 'mlp' is a network Semisup no longer has; check out {RetiredAt} to train or load this recipe.");
        foreach (var (blockKey, kind, key, old, at) in Retired)
        {
            if (recipe[blockKey] is not JsonObject block || !block.ContainsKey(key) || kind != null && !KindIs(block, kind)) continue;
            if (!Same(block[key], old))
                throw new SemisupException($"{source}: {blockKey}.{key}: {block[key]?.ToJsonString()} is a setting Semisup no longer has; check out {at} to train or load this recipe.");
            block.Remove(key);
        }
    }

    static bool KindIs(JsonObject block, string kind) =>
        block["kind"] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == kind;

    static bool Same(JsonNode? a, JsonNode b) =>
        a is JsonValue x && x.GetValueKind() == JsonValueKind.Number && b.GetValueKind() == JsonValueKind.Number
            ? Number(x) == Number(b) : JsonNode.DeepEquals(a, b);

    static double Number(JsonNode n) => double.Parse(n.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);

    static readonly JsonSerializerOptions FlatJson = new(RecipeFile.Json) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    /// <summary>The recipe a flat file means, in blocks.</summary>
    public static JsonObject Convert(JsonObject file, string source)
    {
        // Versions before the blocks wrote the computed "net", "augmentation" and "ladder" next to the keys they came from.
        foreach (var computed in new[] { "net", "augmentation", "ladder" }) file.Remove(computed);
        LegacyRecipe flat;
        try { flat = file.Deserialize<LegacyRecipe>(FlatJson)!; }
        catch (JsonException e)
        {
            throw new SemisupException($"{source}: a recipe in the flat form with a key or value it did not have ({(e.Path ?? "$").TrimStart('$', '.')}); write it in blocks (docs/recipes.md).", e);
        }
        var blocks = (JsonObject)JsonSerializer.SerializeToNode(flat.ToRecipe(source), RecipeFile.Json)!;
        // Flat keys whose block key is retired go to their block, where DropRetired judges them as it judges any recipe's.
        var (model, method) = ((JsonObject)blocks["model"]!, (JsonObject)blocks["method"]!);
        if (flat.Model == "conv") (model["cleanDropout"], model["convWidth"]) = (flat.CleanDropout, flat.ConvWidth);
        else model["bnMomentum"] = flat.BnMomentum;
        if (flat.Method == "gamma") method["augmentUnlabeled"] = flat.AugmentUnlabeled;
        if (flat.Method == "alternating-gamma") (method["unsupervisedSteps"], method["unsupervisedWeight"]) = (flat.UnsupervisedSteps, flat.UnsupervisedWeight);
        if (flat.Method == "ladder") method["denoisingRows"] = flat.DenoisingRows;
        return blocks;
    }

    Recipe ToRecipe(string source) => new()
    {
        Name = Name,
        Description = Description,
        Data = new DataSettings(Dataset, Labels, Split, Seed),
        Model = Model switch
        {
            "conv" => new ConvNetConfig(NoiseStd, Dropout, LeakySlope, BnMomentum, InitRange, InputMean: InputMean, InputStd: InputStd,
                Activation: Activation, HandDerived: HandDerived, DropoutKind: DropoutKind, Init: Init, HiddenUnits: HiddenUnits,
                SoftmaxBeta: SoftmaxBeta, BnScaleInit: BnScaleInit) { WarmStart = WarmStart },
            "mlp-ladder" => new LadderConfig(LadderLayers, NoiseStd, InputNoiseStd) { WarmStart = WarmStart },
            _ => throw new SemisupException($"{source}: model '{Model}' is not one of conv, mlp-ladder."),
        },
        Method = Method switch
        {
            "gamma" => new Gamma(UnsupervisedWeight, DetachCleanTarget, SeparateBatches),
            "supervised" => new Supervised(),
            "alternating-gamma" => new AlternatingGamma(),
            "ladder" => new Ladder(DenoisingCosts),
            "pseudo-label" => new PseudoLabel(UnsupervisedWeight, RampStart, RampEnd, ConfidenceThreshold, AugmentUnlabeled),
            _ => throw new SemisupException($"{source}: method '{Method}' is not one of gamma, supervised, alternating-gamma, ladder, pseudo-label."),
        },
        Optimizer = Optimizer switch
        {
            "adam" => new Adam { LearningRate = LearningRate, WeightDecay = WeightDecay, Beta1 = Beta1, Beta2 = Beta2 },
            "sgd" => new Sgd { LearningRate = LearningRate, WeightDecay = WeightDecay },
            "momentum" => new Optim.Momentum { LearningRate = LearningRate, WeightDecay = WeightDecay, Mu = Momentum },
            "nesterov" => new Nesterov { LearningRate = LearningRate, WeightDecay = WeightDecay, Mu = Momentum },
            _ => throw new SemisupException($"{source}: optimizer '{Optimizer}' is not one of adam, sgd, momentum, nesterov."),
        },
        Schedule = Schedule.LinearDecayAfter is int after ? new LinearDecay(after)
            : new LabSchedule(Schedule.DecayEpoch, Schedule.DecayedRate, Schedule.ExponentialAfter, Schedule.Factor),
        Augmentation = new Augment(RotationDegrees, Shift, ElasticAlpha, ElasticSigma, Interpolation, Cutout),
        Run = new RunSettings(Epochs, StepsPerEpoch, LabeledBatch, UnlabeledBatch, Threads, EvalBatch, EmaDecay),
    };
}
