using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
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
    /// <summary>conv (the lab's network) or mlp-ladder (Rasmus et al. 2015; needs the ladder method).</summary>
    public string Model { get; init; } = "conv";
    public string Dataset { get; init; } = "mnist";
    /// <summary>Labeled images (a multiple of 10), or -1 for all.</summary>
    public int Labels { get; init; } = 3000;
    /// <summary>How the training images divide into labeled, validation and unlabeled: random (by seed) or lab (in file
    /// order, as the lab's data: per class the first labels/10 labeled, the next 1,000 validation; Data/Split.cs).</summary>
    public string Split { get; init; } = Data.Split.Random;
    public ulong Seed { get; init; } = 1;
    public int Epochs { get; init; } = 500;
    /// <summary>Steps per epoch; 0 means one pass over the labeled set (60 at 3,000 labels).</summary>
    public int StepsPerEpoch { get; init; }
    public int LabeledBatch { get; init; } = 50;
    public int UnlabeledBatch { get; init; } = 50;

    public double NoiseStd { get; init; } = 0.3;
    /// <summary>mlp-ladder: noise on the input alone (unset: noiseStd everywhere).</summary>
    public double? InputNoiseStd { get; init; }
    public double Dropout { get; init; } = 0.5;
    public double LeakySlope { get; init; } = 0.1;
    public double BnMomentum { get; init; } = 0.1;
    public double InitRange { get; init; } = 0.1;
    /// <summary>Pixels in [0, 1] become (x − inputMean) / inputStd before the first layer (and its noise).</summary>
    public double InputMean { get; init; }
    public double InputStd { get; init; } = 1;
    /// <summary>The convolutional layers' non-linearity: leaky_relu (the lab), relu, tanh or sigmoid.</summary>
    public string Activation { get; init; } = "leaky_relu";
    /// <summary>Use the hand-derived backward passes (Nn/HandActivations.cs) instead of libtorch's.</summary>
    public bool HandDerived { get; init; }
    /// <summary>inverted (scaled at training, libtorch's) or classic (scaled at test, the lab's description).</summary>
    public string DropoutKind { get; init; } = "inverted";
    /// <summary>uniform (±initRange), xavier, he, or kmeans (first-layer filters from k-means on unlabeled patches).</summary>
    public string Init { get; init; } = "uniform";
    /// <summary>Batch-norm scales γ: ones (the default), uniform01 (PyTorch's default before 1.0, the lab's), or uniform (±initRange).</summary>
    public string BnScaleInit { get; init; } = "ones";
    /// <summary>Whether the clean pass drops units while training (true: the lab's code); false makes the Γ target and the
    /// pseudo-labels noise-free, as the Γ-model's clean encoder is.</summary>
    public bool CleanDropout { get; init; } = true;
    public int HiddenUnits { get; init; } = 100;
    /// <summary>Multiplies the channels of the conv network's four convolutions (1: the lab's 32, 64, 64, 128).</summary>
    public double ConvWidth { get; init; } = 1;
    /// <summary>Inverse temperature β of the output softmax (1: the usual softmax).</summary>
    public double SoftmaxBeta { get; init; } = 1;
    /// <summary>A checkpoint whose layers of matching name and shape initialise this model (VGG's warm start).</summary>
    public string? WarmStart { get; init; }

    /// <summary>Weight of the unsupervised loss (for pseudo-labels, its final weight after the ramp).</summary>
    public double UnsupervisedWeight { get; init; } = 1.0;
    /// <summary>Pseudo-labels: the weight ramps from 0 at this epoch...</summary>
    public double RampStart { get; init; } = 10;
    /// <summary>...to UnsupervisedWeight at this one.</summary>
    public double RampEnd { get; init; } = 100;
    /// <summary>Pseudo-labels: the smallest predicted probability that makes a target.</summary>
    public double ConfidenceThreshold { get; init; } = 0.95;
    public bool DetachCleanTarget { get; init; }
    /// <summary>Γ: labeled and unlabeled images take separate noisy passes (their own batch statistics).</summary>
    public bool SeparateBatches { get; init; }
    /// <summary>Γ and pseudo-labels: the unlabeled images' noisy pass sees them augmented as the labeled images are (the
    /// clean pass, which makes the target, sees them as they are), so the target also asks for invariance to it.</summary>
    public bool AugmentUnlabeled { get; init; }
    /// <summary>mlp-ladder: widths from the input up.</summary>
    public int[] LadderLayers { get; init; } = LadderConfig.PaperLayers;
    /// <summary>Ladder: λ_l per layer from the input up; the paper's values for 100 labels.</summary>
    public double[] DenoisingCosts { get; init; } = [1000, 10, 0.1, 0.1, 0.1, 0.1, 0.1];
    /// <summary>Ladder: the rows the decoder reconstructs and the denoising cost scores: all (labeled too), or unlabeled
    /// (the authors' code).</summary>
    public string DenoisingRows { get; init; } = "all";
    /// <summary>Alternating Γ: unsupervised-only steps after each epoch of supervised ones.</summary>
    public int UnsupervisedSteps { get; init; } = 60;
    public double RotationDegrees { get; init; } = 25;
    public int Shift { get; init; } = 3;
    /// <summary>Elastic distortion of labeled images (Simard et al. 2003), in pixels; 0 turns it off (the lab's final model).</summary>
    public double ElasticAlpha { get; init; }
    public double ElasticSigma { get; init; } = 4;
    /// <summary>How rotated and shifted images are resampled: bilinear, or bicubic (nearer scipy's cubic splines, the lab's).</summary>
    public string Interpolation { get; init; } = "bilinear";
    /// <summary>Side in pixels of a square set to 0 at a random place in each augmented image (cutout); 0 turns it off.</summary>
    public int Cutout { get; init; }

    /// <summary>adam (the lab's final choice), sgd, momentum or nesterov (section 2.1).</summary>
    public string Optimizer { get; init; } = "adam";
    /// <summary>μ of classical momentum and Nesterov.</summary>
    public double Momentum { get; init; } = 0.9;
    public double LearningRate { get; init; } = 1e-3;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    /// <summary>L2 penalty: weightDecay·θ added to every parameter's gradient before the update (coupled, as PyTorch's
    /// optimisers' weight_decay). The lab's code passed 1e-4 to Adam; its write-up does not say so. 0 turns it off.</summary>
    public double WeightDecay { get; init; }
    public LrSchedule Schedule { get; init; } = new();
    /// <summary>Validate, checkpoint and report an exponential moving average of the weights updated every step with this
    /// decay (Optim/WeightAverage.cs); 0.999 averages over about the last 1,000 steps; 0 turns it off (the lab).</summary>
    public double EmaDecay { get; init; }
    [JsonIgnore] public bool AveragesWeights => EmaDecay > 0;

    /// <summary>Intra-op threads; runs are bit-reproducible only at a fixed count.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Images per evaluation batch. The heap keeps freed blocks (NativeAllocator), so evaluation's
    /// activations, once an epoch, either fit in gaps the training steps left or grow the heap; batches of the
    /// training batch's size fit, where batches of 1,000 (a 70 MB first activation) kept growing it on some CPUs. They
    /// cost about 15% of evaluation's throughput (docs/RESULTS.md, Memory).</summary>
    public int EvalBatch { get; init; } = 100;

    public ConvNetConfig Net => new(NoiseStd, Dropout, LeakySlope, BnMomentum, InitRange, InputMean: InputMean, InputStd: InputStd,
        Activation: Activation, HandDerived: HandDerived, DropoutKind: DropoutKind, Init: Init, HiddenUnits: HiddenUnits, SoftmaxBeta: SoftmaxBeta, BnScaleInit: BnScaleInit, CleanDropout: CleanDropout, ConvWidth: ConvWidth);

    public Data.Augment Augmentation => new(RotationDegrees, Shift, ElasticAlpha, ElasticSigma, Interpolation, Cutout);

    public LadderConfig Ladder => new(LadderLayers, NoiseStd, BnMomentum, InputNoiseStd);

    public int StepsPer(int labeledCount) => StepsPerEpoch > 0 ? StepsPerEpoch : Math.Max(1, labeledCount / LabeledBatch);

    /// <summary>What cannot build the recipe's network.</summary>
    public IEnumerable<string> ModelProblems() => Model == "mlp-ladder" ? Ladder.Problems() : Net.Problems();

    /// <summary>Rejects values that cannot train, before any work starts.</summary>
    public Recipe Validate()
    {
        var bad = new List<string>();
        if (!Data.Datasets.All.Any(d => d.Name.Equals(Dataset, StringComparison.OrdinalIgnoreCase)))
            bad.Add($"dataset '{Dataset}': known datasets are {string.Join(", ", Data.Datasets.All.Select(d => d.Name))}");
        if (Epochs < 1) bad.Add($"epochs {Epochs}: must be at least 1");
        if (Labels != -1 && (Labels < 10 || Labels % 10 != 0)) bad.Add($"labels {Labels}: must be a positive multiple of 10, or -1 (all)");
        if (StepsPerEpoch < 0) bad.Add($"stepsPerEpoch {StepsPerEpoch}: must be 0 (one pass over the labeled set) or positive");
        if (LabeledBatch < 1) bad.Add($"labeledBatch {LabeledBatch}: must be at least 1");
        if (UnlabeledBatch < 0) bad.Add($"unlabeledBatch {UnlabeledBatch}: must not be negative");
        if (!ModelRegistry.Names.Contains(Model)) bad.Add($"model '{Model}': known models are {string.Join(", ", ModelRegistry.Names)}");
        else if ((Model == "mlp-ladder") != (Method == "ladder")) bad.Add($"method '{Method}' with model '{Model}': the ladder method and the mlp-ladder model go together");
        var modelProblems = ModelProblems().ToList();
        bad.AddRange(modelProblems);
        int trainingCopies = 2 + Optim.Optimizers.StateCopies(Optimizer) + (AveragesWeights ? 1 : 0);
        if (modelProblems.Count == 0 && ModelRegistry.SizeProblem(this, trainingCopies) is { } tooLarge) bad.Add($"the network's {tooLarge}");
        if (Method == "ladder" && DenoisingCosts.Length != LadderLayers.Length)
            bad.Add($"denoisingCosts has {DenoisingCosts.Length} values for {LadderLayers.Length} layers (input included): give one λ per layer");
        if (DenoisingRows is not ("all" or "unlabeled")) bad.Add($"denoisingRows '{DenoisingRows}': all or unlabeled");
        else if (Method != "ladder" && DenoisingRows != "all") bad.Add("denoisingRows: only the ladder method has a decoder");
        if (AugmentUnlabeled && Method is not ("gamma" or "pseudo-label")) bad.Add($"augmentUnlabeled: implemented for the gamma and pseudo-label methods only, not {Method}");
        else if (AugmentUnlabeled && RotationDegrees == 0 && Shift == 0 && ElasticAlpha == 0 && Cutout == 0) bad.Add("augmentUnlabeled: rotationDegrees, shift, elasticAlpha and cutout are all 0, so there is no augmentation to apply");
        if (DenoisingCosts.Any(c => c < 0 || !double.IsFinite(c))) bad.Add("denoisingCosts: every λ must be finite and not negative");
        if (Model != "mlp-ladder" && InputNoiseStd != null) bad.Add("inputNoiseStd: only the mlp-ladder has it (the conv network's noise is noiseStd before every convolution)");
        if (Model == "mlp-ladder" && !CleanDropout) bad.Add("cleanDropout: the ladder has no dropout; remove the key");
        if (Model == "mlp-ladder" && ConvWidth != 1) bad.Add("convWidth: the ladder has no convolutions; remove the key");
        if (Model == "mlp-ladder" && BnScaleInit != "ones") bad.Add($"bnScaleInit '{BnScaleInit}': the ladder's batch-norm scales follow the papers; remove the key");
        if (Model == "mlp-ladder" && Init != "uniform") bad.Add($"init '{Init}': the ladder uses the papers' N(0, 1/fan_in); remove the key");
        if (!Optim.Optimizers.Names.Contains(Optimizer)) bad.Add($"optimizer '{Optimizer}': known optimizers are {string.Join(", ", Optim.Optimizers.Names)}");
        if (Momentum is < 0 or >= 1) bad.Add($"momentum {Momentum}: must be in [0, 1)");
        if (UnsupervisedSteps < 0) bad.Add($"unsupervisedSteps {UnsupervisedSteps}: must not be negative");
        if (WarmStart != null && !File.Exists(WarmStart)) bad.Add($"warmStart '{WarmStart}': no such checkpoint");
        if (WarmStart != null && Init == "kmeans") bad.Add("init 'kmeans' with warmStart: the warm start would overwrite the k-means filters of conv1; choose one");
        if (UnsupervisedWeight < 0) bad.Add($"unsupervisedWeight {UnsupervisedWeight}: must not be negative");
        if (RampStart < 0 || RampEnd <= RampStart) bad.Add($"rampStart {RampStart} and rampEnd {RampEnd}: need 0 <= rampStart < rampEnd");
        if (ConfidenceThreshold is < 0 or > 1) bad.Add($"confidenceThreshold {ConfidenceThreshold}: must be in [0, 1]");
        if (LearningRate <= 0) bad.Add($"learningRate {LearningRate}: must be positive");
        if (EmaDecay is < 0 or >= 1) bad.Add($"emaDecay {EmaDecay}: must be in [0, 1) (0 turns weight averaging off)");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) bad.Add("beta1 and beta2 must be in [0, 1)");
        if (WeightDecay < 0 || !double.IsFinite(WeightDecay)) bad.Add($"weightDecay {WeightDecay}: must be finite and not negative (0 turns it off)");
        if (Threads < 1) bad.Add($"threads {Threads}: must be at least 1");
        if (EvalBatch < 1) bad.Add($"evalBatch {EvalBatch}: must be at least 1");
        if (RotationDegrees < 0 || Shift < 0) bad.Add("rotationDegrees and shift must not be negative");
        if (ElasticAlpha < 0 || ElasticSigma <= 0) bad.Add($"elasticAlpha {ElasticAlpha} must be ≥ 0 and elasticSigma {ElasticSigma} > 0");
        if (Cutout < 0) bad.Add($"cutout {Cutout}: must not be negative (0 turns it off)");
        if (!Data.Augment.Interpolations.Contains(Interpolation)) bad.Add($"interpolation '{Interpolation}': known are {string.Join(", ", Data.Augment.Interpolations)}");
        bad.AddRange(Schedule.Problems());
        if (!Data.Split.Schemes.Contains(Split)) bad.Add($"split '{Split}': known schemes are {string.Join(", ", Data.Split.Schemes)}");
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
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { NeverWriteDerived } },
    };

    /// <summary>The blocks computed from the top-level keys (<see cref="Net"/>, <see cref="Augmentation"/>,
    /// <see cref="Ladder"/>). Earlier versions wrote them into recipe.json and checkpoints, so reading still accepts
    /// them (a copied run recipe stays a valid recipe); they are no longer written.</summary>
    (string Key, object Value)[] DerivedBlocks => [("net", Net), ("augmentation", Augmentation), ("ladder", Ladder)];

    /// <summary>A recipe's get-only properties are exactly its derived blocks: none is written.</summary>
    static void NeverWriteDerived(JsonTypeInfo info)
    {
        if (info.Type != typeof(Recipe)) return;
        foreach (var p in info.Properties)
            if (p.Set == null) p.ShouldSerialize = (_, _) => false;
    }

    /// <summary>A derived block in a file is ignored on reading, so a value in it that the other keys do not give
    /// would be silently lost: refused. A document, not a JsonNode, because it keeps repeated keys as the reader does.</summary>
    void RefuseDisagreeingDerived(JsonElement file, string path)
    {
        foreach (var (key, value) in DerivedBlocks)
        {
            var computed = JsonSerializer.SerializeToElement(value, Json);
            foreach (var block in file.EnumerateObject().Where(p => p.Name == key))
            {
                string Refuse(string what) => $"{path}: {what}. '{key}' is computed from the other keys and only read back: delete the block";
                if (block.Value.ValueKind != JsonValueKind.Object) throw new SemisupException(Refuse($"{key} is {block.Value.GetRawText()}, not the block the other keys make") + ".");
                foreach (var given in block.Value.EnumerateObject())
                {
                    if (!computed.TryGetProperty(given.Name, out var made))
                        throw new SemisupException(Refuse($"{key}.{given.Name} is not a value of '{key}'") + ".");
                    if (!JsonElement.DeepEquals(given.Value, made))
                        throw new SemisupException(Refuse($"{key}.{given.Name} is {given.Value.GetRawText()}, but the other keys make it {made.GetRawText()}")
                            + (TopLevelKeys.Contains(given.Name) ? $", and set {given.Name} at the top level." : "."));
                }
            }
        }
    }

    /// <summary>A recipe by file path, or by name from the recipes directory.</summary>
    public static Recipe Load(string nameOrPath, string? recipesDir = null)
    {
        var dir = recipesDir ?? FindRecipesDir();
        // A name ending in .json is a path, even when no such file exists: the error then names that file.
        var path = File.Exists(nameOrPath) || nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? nameOrPath : Path.Combine(dir, nameOrPath + ".json");
        if (!File.Exists(path))
        {
            var known = Names(dir);
            throw new SemisupException($"Recipe '{nameOrPath}' not found (looked for {path}). Known recipes: {(known.Count > 0 ? string.Join(", ", known) : "none")}.");
        }
        return Read(path) with { Name = Path.GetFileNameWithoutExtension(path) };
    }

    /// <summary>The recipe names in a directory (its *.json files), sorted.</summary>
    public static IReadOnlyList<string> Names(string recipesDir) =>
        Directory.Exists(recipesDir) ? [.. Directory.GetFiles(recipesDir, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)] : [];

    /// <summary>The recipe as <see cref="Read"/> reads it back; two recipes with equal JSON train the same run.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>A recipe file as written, e.g. a run directory's resolved recipe.json.</summary>
    public static Recipe Read(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            var recipe = JsonSerializer.Deserialize<Recipe>(text, Json) ?? throw new JsonException("the file is empty");
            using (var document = JsonDocument.Parse(text, new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }))
                recipe.RefuseDisagreeingDerived(document.RootElement, path);
            return recipe;
        }
        catch (JsonException e)
        {
            throw new SemisupException($"{path}: {e.Message}{KeyHint(e)}", e);
        }
    }

    static IReadOnlyList<string> KeysOf(Type type) => [.. type.GetProperties().Where(p => p.CanWrite).Select(p => Json.PropertyNamingPolicy!.ConvertName(p.Name))];

    static readonly IReadOnlyList<string> TopLevelKeys = KeysOf(typeof(Recipe));

    /// <summary>For a key the recipe does not have: the nearest valid one and all of them.</summary>
    static string KeyHint(JsonException e)
    {
        if (e.Path is not { } jsonPath || !e.Message.Contains("could not be mapped", StringComparison.Ordinal)) return "";
        var parts = jsonPath.TrimStart('$', '.').Split('.');
        var keys = parts.Length > 1 && parts[0] == "schedule" ? KeysOf(typeof(LrSchedule)) : TopLevelKeys;
        var nearest = keys.MinBy(k => Distance(k.ToLowerInvariant(), parts[^1].ToLowerInvariant()))!;
        var guess = Distance(nearest.ToLowerInvariant(), parts[^1].ToLowerInvariant()) <= Math.Max(2, parts[^1].Length / 3) ? $" Did you mean '{nearest}'?" : "";
        return $"{guess} Valid keys: {string.Join(", ", keys)}.";
    }

    /// <summary>Levenshtein distance.</summary>
    static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
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
/// after <see cref="ExponentialAfter"/> multiplied by <see cref="Factor"/> each epoch. With
/// <see cref="LinearDecayAfter"/> instead the ladder papers' schedule: the base rate until that epoch, then a linear
/// decay that reaches 0 as the last epoch ends. Epochs count from 1; the rate is set at the start of each epoch.</summary>
public sealed record LrSchedule(int DecayEpoch = 100, double DecayedRate = 5e-4, int ExponentialAfter = 200, double Factor = 0.99, int? LinearDecayAfter = null)
{
    public double At(int epoch, double baseRate, int epochs) =>
        LinearDecayAfter is int start ? (epoch <= start ? baseRate : baseRate * (epochs - epoch + 1) / (epochs - start + 1))
        : epoch <= DecayEpoch ? baseRate
        : epoch <= ExponentialAfter ? DecayedRate
        : DecayedRate * Math.Pow(Factor, epoch - ExponentialAfter);

    public IEnumerable<string> Problems()
    {
        if (LinearDecayAfter is int start)
        {
            if (start < 0) yield return $"schedule: linearDecayAfter {start} must not be negative";
            yield break;
        }
        if (DecayEpoch < 0 || ExponentialAfter < DecayEpoch) yield return "schedule: need 0 <= decayEpoch <= exponentialAfter";
        if (DecayedRate <= 0 || Factor is <= 0 or > 1) yield return "schedule: decayedRate must be positive and factor in (0, 1]";
    }
}
