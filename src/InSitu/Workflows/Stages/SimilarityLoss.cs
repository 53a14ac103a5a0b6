using InSitu.Torch;

namespace InSitu.Workflows.Stages;

/// <summary>
/// The feature-level loss of step 2 (METHODS.md section 1, Eq. 4-6): for an image x with label y and one reference
/// image per class,
///   sim_c = cos(F(x), F(x_r_c))                           (Eq. 4)
///   SIM_c = exp(sim_c) / sum_c' exp(sim_c')               (Eq. 5)
///   L_S   = -SIM_y + 1/(ls - 1) * sum_{c != y} SIM_c       (Eq. 6)
/// averaged over the batch. The total loss is L = L_CE + L_S (Eq. 7).
/// </summary>
public static class SimilarityLoss
{
    /// <param name="features">B x D features of the images.</param>
    /// <param name="references">ls x D features of one reference per class, in class order.</param>
    /// <param name="labels">B class indices.</param>
    public static Tensor Compute(Tensor features, Tensor references, Tensor labels)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        long classes = references.Size(0);
        var sim = F.Normalize(features, dim: 1).MatMul(F.Normalize(references, dim: 1).T()); // Eq. 4, B x ls
        var SIM = sim.Softmax(1);                                                           // Eq. 5
        var own = SIM.Gather(1, labels.Unsqueeze(1)).Squeeze(1);
        var others = SIM.Sum(1).Sub(own);
        var loss = own.Neg().Add(others.Div(classes - 1)).Mean();                          // Eq. 6
        return scope.MoveToOuter(loss);
    }

    /// <summary>Similarity prediction: the class whose references are on average most similar (mean cosine over sets).</summary>
    public static Tensor MeanSimilarity(Tensor features, Tensor referenceFeatures, int classes)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        // referenceFeatures: (k * ls) x D in set-major order
        var sims = F.Normalize(features, dim: 1).MatMul(F.Normalize(referenceFeatures, dim: 1).T()); // B x (k*ls)
        var perClass = sims.View(features.Size(0), -1, classes).Mean(1);                            // B x ls
        return scope.MoveToOuter(perClass);
    }
}
